import { execFile } from 'node:child_process';
import { access, lstat, mkdir, readFile, rename, rm, rmdir, stat, statfs, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { EnsuredVolume, VolumeStore } from './volume-store.js';

const run = promisify(execFile);
const MiB = 1024 * 1024;
const BLOCK = 4096;
// ext4 spends a few percent on its journal and inode tables: the image is grown until
// what `df` shows is within this share of the plan's size (and never above it).
const SIZE_TOLERANCE = 0.01;
// Each resize lands closer (ext4's own overhead changes with the size); this many get there.
const RESIZE_ROUNDS = 6;
const COMMAND_TIMEOUT_MS = 120_000;
// The uid and gid of the runtime images' user `app`, who owns /srv.
const APP_OWNER = '1000:1000';

async function sh(cmd: string, args: string[], okCodes: number[] = [0]): Promise<string> {
  try {
    return (await run(cmd, args, { timeout: COMMAND_TIMEOUT_MS })).stdout;
  } catch (err) {
    const e = err as { code?: number | string; stderr?: string; message: string };
    if (typeof e.code === 'number' && okCodes.includes(e.code)) return '';
    const why = (e.stderr ?? '').trim().split('\n').slice(-2).join('; ') || e.message;
    throw new Error(`${cmd} ${args.join(' ')} failed: ${why}`);
  }
}

const exists = (path: string) => access(path).then(() => true, () => false);

/** /proc/self/mountinfo escapes space, tab, newline and backslash as octal. */
const unescape = (field: string) => field.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

/**
 * Each volume is an ext4 filesystem in a sparse image file (`<dir>/<name>.img`), loop-mounted
 * at `<dir>/<name>`: a quota the kernel enforces, that `df` reports, and that grows online.
 * The mount point is root's, so while it is not mounted (a host that rebooted) the app's
 * user cannot write into it: nothing spills onto the host's own disk.
 */
export class LoopVolumeStore implements VolumeStore {
  constructor(private readonly dir: string) {}

  private image(name: string): string {
    return join(this.dir, `${name}.img`);
  }

  private mountpoint(name: string): string {
    return join(this.dir, name);
  }

  async check(): Promise<void> {
    if (process.getuid?.() !== 0) throw new Error('DISK_QUOTA=loop needs root: the worker mounts apps\' /srv images; run it as root, or set DISK_QUOTA=off (no disk quota)');
    for (const [tool, args] of [['mkfs.ext4', ['-V']], ['resize2fs', []], ['e2fsck', ['-V']], ['dumpe2fs', ['-V']], ['mount', ['-V']]] as const) {
      await sh(tool, [...args], [1]).catch(() => {
        throw new Error(`DISK_QUOTA=loop needs ${tool} (Debian: e2fsprogs, mount); scripts/install.sh installs them`);
      });
    }
    await mkdir(this.dir, { recursive: true, mode: 0o755 });
  }

  async ensure(name: string, sizeMb: number, seedFrom?: string): Promise<EnsuredVolume> {
    const image = this.image(name);
    const path = this.mountpoint(name);
    await mkdir(path, { recursive: true, mode: 0o755 });
    let wantedMb = sizeMb;
    let note: string | undefined;
    if (seedFrom) {
      // Nothing is lost in the move: data bigger than the plan gets room for all of it.
      const usedMb = Math.ceil(Number((await sh('du', ['-sxb', seedFrom])).split(/\s/)[0]) / MiB);
      if (usedMb > sizeMb * 0.95) {
        wantedMb = Math.ceil(usedMb * 1.1 + 64);
        note = `/srv holds ${usedMb} MB, too much for the plan's ${sizeMb} MB: it was moved whole into ${wantedMb} MB; delete files, then rebuild the app to bring it to the plan's size`;
      }
    }
    const fresh = !(await exists(image));
    if (fresh) await this.make(image, wantedMb);
    if (!(await this.mounts()).has(path)) await this.mount(image, path);
    if (!seedFrom) note = await this.resize(image, path, wantedMb);
    if (fresh) {
      // Docker copies the image's /srv into an empty volume only: lost+found would stop it (e2fsck makes it again when needed).
      await rmdir(join(path, 'lost+found')).catch(() => undefined);
    }
    if (seedFrom) await sh('cp', ['-a', '--reflink=never', `${seedFrom}/.`, `${path}/`]);
    return { path, note };
  }

  async mounted(): Promise<Set<string>> {
    const names = new Set<string>();
    for (const point of (await this.mounts()).keys()) {
      if (point.startsWith(`${this.dir}/`) && !point.slice(this.dir.length + 1).includes('/')) names.add(point.slice(this.dir.length + 1));
    }
    return names;
  }

  async usedBytes(name: string): Promise<number | null> {
    const path = this.mountpoint(name);
    // Mounted when the mount point is on another device than its parent: two lstats, instead of
    // reading the mount table for every app on every sample. The mount point and its parent are
    // root's; nothing under /srv (the tenant's) is looked at, and no link is followed.
    const [parent, point] = await Promise.all([lstat(this.dir), lstat(path).catch(() => null)]);
    if (!point || point.dev === parent.dev) return null;
    const fs = await statfs(path);
    return (fs.blocks - fs.bfree) * fs.bsize;
  }

  async remove(name: string): Promise<void> {
    const path = this.mountpoint(name);
    if ((await this.mounts()).has(path)) {
      // A container that still holds it (being removed this moment) must not keep the delete from finishing.
      await sh('umount', [path]).catch(() => sh('umount', ['-l', path]));
    }
    await rm(this.image(name), { force: true });
    // Unmounted, the mount point may still hold what Docker copied from the image into the bare
    // directory when a container started while the volume was away (a named volume's copy-up):
    // debris on the host's disk, never the tenant's data, which was in the image. Only once
    // nothing is mounted there.
    if ((await this.mounts()).has(path)) throw new Error(`${path} is still mounted; its volume cannot be removed yet`);
    await rm(path, { recursive: true, force: true });
  }

  /**
   * A new filesystem whose usable size (what `df` shows) is the wanted one: made once at that
   * size, then again with its own overhead added. Made under a temporary name, so a crash
   * mid-way never leaves a half-made image behind the real one.
   */
  private async make(image: string, sizeMb: number): Promise<void> {
    const partial = `${image}.new`;
    const wanted = sizeMb * MiB;
    let bytes = wanted;
    for (let round = 0; round < 3; round++) {
      await rm(partial, { force: true });
      await sh('truncate', ['-s', String(bytes), partial]);
      // No blocks reserved for root: the tenant gets the whole size; /srv belongs to app. Inode
      // tables and journal are left unwritten (the mount never zeroes them either), so a sparse
      // image takes on the host's disk only what the app stores, not a share of the plan's size.
      await sh('mkfs.ext4', ['-q', '-F', '-m', '0', '-E', `root_owner=${APP_OWNER},lazy_itable_init=1,lazy_journal_init=1`, partial]);
      const usable = await usableBytes(partial);
      if (usable === null || usable >= wanted * (1 - SIZE_TOLERANCE)) break;
      // Its overhead grows a little with it, so this lands just under the wanted size.
      bytes = roundUp(bytes + (wanted - usable), BLOCK);
    }
    await rename(partial, image);
  }

  private async mount(image: string, path: string): Promise<void> {
    // A crash may have left the journal to replay or a repair to make; -p repairs what is safe (exit 1:
    // repaired). What it will not repair unattended (exit 4) is repaired with -y: a /srv that never
    // mounts again would keep the app down for good, and e2fsck keeps what it can (lost+found).
    await sh('e2fsck', ['-p', image], [1]).catch(() => sh('e2fsck', ['-f', '-y', image], [1]));
    const options = 'loop,nodev,nosuid,noinit_itable';
    // Two mounts choosing a free loop device at once can collide; the second try gets another.
    await sh('mount', ['-o', options, image, path]).catch(() => sh('mount', ['-o', options, image, path]));
    if (!(await this.mounts()).has(path)) throw new Error(`${image} is not mounted at ${path} after mount`);
  }

  /**
   * Brings the mounted filesystem to the wanted usable size, unmounted (resizing a mounted one
   * needs CAP_SYS_RESOURCE, which a worker may well not have): the caller guarantees no
   * container holds it. A shrink that the data would not survive is not made: the note says so.
   */
  private async resize(image: string, path: string, sizeMb: number): Promise<string | undefined> {
    const wanted = sizeMb * MiB;
    for (let round = 0; ; round++) {
      const fs = await statfs(path);
      const total = fs.blocks * fs.bsize;
      if (total <= wanted && total >= wanted * (1 - SIZE_TOLERANCE)) return undefined;
      const used = (fs.blocks - fs.bfree) * fs.bsize;
      if (total > wanted && used > wanted * 0.95) {
        return `/srv holds ${Math.ceil(used / MiB)} MB, more than the plan's ${sizeMb} MB: it keeps its ${Math.floor(total / MiB)} MB until files are deleted and the app is rebuilt`;
      }
      // Never reported done at a size the plan does not have: the job fails this try, saying why, and tries again.
      if (round === RESIZE_ROUNDS) throw new Error(`/srv is ${Math.floor(total / MiB)} MB after ${RESIZE_ROUNDS} resizes to the plan's ${sizeMb} MB`);
      const imageBytes = (await stat(image)).size;
      // A bigger filesystem spends a little more on itself, so growing lands just under the wanted
      // size; a smaller one spends a little less, so a shrink aims half the tolerance below it.
      const target = total < wanted ? roundUp(imageBytes + (wanted - total), BLOCK) : roundDown(imageBytes - (total - wanted) - (wanted * SIZE_TOLERANCE) / 2, BLOCK);
      await sh('umount', [path]);
      await sh('e2fsck', ['-f', '-y', image], [1]);
      if (target > imageBytes) await truncate(image, target);
      await sh('resize2fs', [image, `${target / 1024}K`]);
      if (target < imageBytes) await truncate(image, target);
      await this.mount(image, path);
    }
  }

  /** Mount point → source device, from this process's mount table. */
  private async mounts(): Promise<Map<string, string>> {
    const table = new Map<string, string>();
    for (const line of (await readFile('/proc/self/mountinfo', 'utf8')).split('\n')) {
      const [before, after] = line.split(' - ');
      if (!after) continue;
      table.set(unescape(before.split(' ')[4]), unescape(after.split(' ')[1]));
    }
    return table;
  }
}

const roundUp = (n: number, step: number) => Math.ceil(n / step) * step;
const roundDown = (n: number, step: number) => Math.floor(n / step) * step;

/** What `df` will show for an unmounted image that mkfs just made (its overhead is recorded then), or null when not recorded. */
async function usableBytes(image: string): Promise<number | null> {
  const header = await sh('dumpe2fs', ['-h', image]);
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(header)?.[1]);
  const [blocks, overhead, size] = [field('Block count'), field('Overhead clusters'), field('Block size')];
  return Number.isFinite(overhead) && overhead > 0 ? (blocks - overhead) * size : null;
}
