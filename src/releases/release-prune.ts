import { DataSource } from 'typeorm';
import type { ReleasesConfig } from '../config/config.js';
import { Release } from './entities/release.entity.js';
import { ReleaseStore } from './release-store.js';

/**
 * Of an app's releases, those never pruned: the active one, a deploying one, and the active one's
 * predecessor (what a rollback without a version goes back to).
 */
export function alwaysKept(rows: Release[]): Release[] {
  const predecessor = rows.filter((r) => r.status === 'superseded' && r.activatedAt).sort((a, b) => b.activatedAt!.getTime() - a.activatedAt!.getTime())[0];
  return rows.filter((r) => r.status === 'active' || r.status === 'deploying' || r === predecessor);
}

/**
 * Keeps an app's newest releases up to `kept` and `keptMaxBytes` of archives (an archive shared
 * by rollbacks counts once); the active release, its predecessor (what a rollback goes back to)
 * and a deploying one always stay. Archives no kept release names are removed. The pruned versions.
 */
export async function pruneReleases(db: DataSource, store: ReleaseStore, appId: number, limits: Pick<ReleasesConfig, 'kept' | 'keptMaxBytes'>): Promise<number[]> {
  const rows = await db.getRepository(Release).find({ where: { appId }, order: { version: 'DESC' } });
  const always = new Set(alwaysKept(rows).map((r) => r.id));
  const archives = new Set<string>();
  let bytes = 0;
  const keep = new Set<number>();
  const take = (row: Release) => {
    keep.add(row.id);
    if (row.archive && !archives.has(row.archive)) {
      archives.add(row.archive);
      bytes += row.archiveSize;
    }
  };
  for (const row of rows) if (always.has(row.id)) take(row);
  for (const row of rows) {
    if (keep.has(row.id)) continue;
    const extra = row.archive && !archives.has(row.archive) ? row.archiveSize : 0;
    // Newest first: once one does not fit, it and every older one go.
    if (keep.size >= limits.kept || bytes + extra > limits.keptMaxBytes) break;
    take(row);
  }
  const pruned = rows.filter((r) => !keep.has(r.id));
  if (pruned.length === 0) return [];
  await db.getRepository(Release).delete(pruned.map((r) => r.id));
  for (const name of new Set(pruned.map((r) => r.archive).filter((a): a is string => a !== null))) {
    if (!archives.has(name)) await store.remove(appId, name);
  }
  return pruned.map((r) => r.version);
}
