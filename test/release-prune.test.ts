// Which releases pruning keeps: the newest up to RELEASES_KEPT and RELEASES_KEPT_MAX, and always
// the active release, its predecessor (what a rollback without a version goes back to) and a
// deploying one; an archive goes only when no kept release names it. The database is faked here
// (a port: find and delete); the e2e test in releases.e2e.test.ts prunes over the real one.
import { describe, expect, it } from 'vitest';
import { Release, ReleaseStatus } from '../src/releases/entities/release.entity.js';
import { pruneReleases } from '../src/releases/release-prune.js';

type Row = Pick<Release, 'id' | 'version' | 'status' | 'archive' | 'archiveSize' | 'activatedAt'>;

function world(rows: Row[]) {
  const removed: string[] = [];
  let kept = [...rows];
  const db = {
    getRepository: () => ({
      find: async () => [...kept].sort((a, b) => b.version - a.version),
      delete: async (ids: number[]) => {
        kept = kept.filter((r) => !ids.includes(r.id));
      },
    }),
  };
  const store = { remove: async (_appId: number, name: string) => void removed.push(name) };
  return {
    prune: (limits: { kept: number; keptMaxBytes: number }) => pruneReleases(db as never, store as never, 1, limits),
    versions: () => kept.map((r) => r.version).sort((a, b) => b - a),
    removed,
  };
}

let clock = 0;
const row = (version: number, status: ReleaseStatus, archive: string | null = `a${version}.tar.gz`, archiveSize = 100, activated = status !== 'failed' && status !== 'deploying'): Row => ({
  id: version,
  version,
  status,
  archive,
  archiveSize,
  activatedAt: activated ? new Date(++clock * 1000) : null,
});

describe('pruning releases', () => {
  it('keeps the newest up to the count and removes the archives of the rest', async () => {
    const w = world([row(1, 'superseded'), row(2, 'superseded'), row(3, 'superseded'), row(4, 'superseded'), row(5, 'active')]);
    expect(await w.prune({ kept: 3, keptMaxBytes: 1e9 })).toEqual([2, 1]);
    expect(w.versions()).toEqual([5, 4, 3]);
    expect(w.removed.sort()).toEqual(['a1.tar.gz', 'a2.tar.gz']);
  });

  it('never prunes the active release or its predecessor, however old, nor a deploying one', async () => {
    // v2 was active before v9 (a rollback brought v9 back as the active one); failed ones since.
    const rows = [row(1, 'superseded'), row(2, 'superseded'), row(9, 'active'), row(3, 'failed'), row(4, 'failed'), row(5, 'failed'), row(10, 'deploying')];
    rows.find((r) => r.version === 9)!.activatedAt = new Date(++clock * 1000);
    const w = world(rows);
    expect(await w.prune({ kept: 4, keptMaxBytes: 1e9 })).toEqual([4, 3, 1]);
    expect(w.versions()).toEqual([10, 9, 5, 2]);
  });

  it('stops at the total size, newest first: the oldest go even when smaller', async () => {
    const w = world([row(1, 'superseded', 'a1.tar.gz', 10), row(2, 'superseded', 'a2.tar.gz', 500), row(3, 'superseded', 'a3.tar.gz', 300), row(4, 'active', 'a4.tar.gz', 300)]);
    // active (300) and predecessor v3 (300) always; v2 would make 1100 > 1000: it and v1 go.
    expect(await w.prune({ kept: 10, keptMaxBytes: 1000 })).toEqual([2, 1]);
    expect(w.versions()).toEqual([4, 3]);
  });

  it('counts an archive rollbacks share once, and keeps it while any kept release names it', async () => {
    // v3 and v5 are rollbacks to v1: one archive for the three.
    const w = world([row(1, 'superseded', 'a1.tar.gz', 400), row(2, 'superseded'), row(3, 'superseded', 'a1.tar.gz', 400), row(4, 'superseded'), row(5, 'active', 'a1.tar.gz', 400)]);
    expect(await w.prune({ kept: 3, keptMaxBytes: 600 })).toEqual([2, 1]);
    expect(w.versions()).toEqual([5, 4, 3]);
    expect(w.removed).toEqual(['a2.tar.gz']);
  });

  it('prunes nothing when all fit', async () => {
    const w = world([row(1, 'superseded'), row(2, 'active')]);
    expect(await w.prune({ kept: 10, keptMaxBytes: 1e9 })).toEqual([]);
    expect(w.removed).toEqual([]);
  });
});
