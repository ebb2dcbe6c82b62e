// A /srv image whose resize does not take (resize2fs answering success without changing the
// filesystem, as a broken or foreign one might) must fail the resize, so that the operation fails
// and its job tries again, instead of reporting the plan's size while /srv keeps the old one.
// Real images, mounts and e2fsprogs; only resize2fs is swapped for one that does nothing.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LoopVolumeStore } from '../dist/src/containers/volumes/loop-volume-store.js';

// Not under tmpfs: a loop image on the machine's disk, as VOLUMES_DIR is.
const dir = mkdtempSync('/var/tmp/berth-resize-');
const fakeBin = mkdtempSync(join(tmpdir(), 'berth-resize-bin-'));
const name = 'bresize-app-1-srv';
const store = new LoopVolumeStore(dir);
const realPath = process.env.PATH ?? '';
const sizeMb = () => {
  const fs = statfsSync(join(dir, name));
  return Math.floor((fs.blocks * fs.bsize) / (1024 * 1024));
};

afterAll(async () => {
  process.env.PATH = realPath;
  await store.remove(name).catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
  rmSync(fakeBin, { recursive: true, force: true });
});

describe('a /srv image that does not grow', () => {
  it('fails the resize naming the size it has, and grows once resize2fs works again', async () => {
    await store.ensure(name, 64);
    expect(sizeMb()).toBeGreaterThanOrEqual(63);
    expect(sizeMb()).toBeLessThanOrEqual(64);

    mkdirSync(fakeBin, { recursive: true });
    writeFileSync(join(fakeBin, 'resize2fs'), '#!/bin/sh\nexit 0\n');
    chmodSync(join(fakeBin, 'resize2fs'), 0o755);
    process.env.PATH = `${fakeBin}:${realPath}`;
    await expect(store.ensure(name, 128)).rejects.toThrow(/^\/srv is 6[34] MB after 6 resizes to the plan's 128 MB$/);
    // Still mounted, data and all, at the size it really has.
    expect((await store.mounted()).has(name)).toBe(true);
    expect(sizeMb()).toBeLessThanOrEqual(64);

    // The image grew each try while its filesystem did not: landing within the tolerance from that
    // far off takes more resizes than from a plan change (four here; three used to be all there was).
    process.env.PATH = realPath;
    await store.ensure(name, 128);
    expect(sizeMb()).toBeGreaterThanOrEqual(126);
    expect(sizeMb()).toBeLessThanOrEqual(128);
  }, 120_000);
});
