import { pipeline } from 'node:stream/promises';
import { byteBound } from './byte-bound.js';
import { gunzip } from './gunzip.js';
import type { ReleasesConfig } from '../../config/config.js';
import { ArchiveProblem, TarEntry, TarReader } from './tar-reader.js';
import { Manifest, ManifestBuilder } from './tar-manifest.js';

export { ArchiveProblem };

export interface ArchiveLimits {
  /** Bytes the files may unpack to. */
  unpackedMaxBytes: number;
  entriesMax: number;
}

export interface ArchiveSummary {
  entries: number;
  files: number;
  /** Bytes of every file's data. */
  unpackedBytes: number;
  /** What it makes, path by path: a later deploy compares it with its own to unpack only what changed. */
  manifest: Manifest;
}

// Headers and padding beside the files' data: at most 1.5 KB per entry, and the end marker.
const OVERHEAD_PER_ENTRY = 1536;
const OVERHEAD_FIXED = 1024 * 1024;

/** What a release of an app with `diskBytes` of disk may unpack to: the settings, and never past the disk. */
export function releaseLimits(config: ReleasesConfig, diskBytes: number): ArchiveLimits {
  return { unpackedMaxBytes: Math.min(config.unpackedMaxBytes, diskBytes), entriesMax: config.entriesMax };
}

/** The most bytes of tar an archive within `limits` can take: its files' data, headers and padding. */
export function tarBytesMax(limits: ArchiveLimits): number {
  return limits.unpackedMaxBytes + limits.entriesMax * OVERHEAD_PER_ENTRY + OVERHEAD_FIXED;
}

/**
 * Reads a `tar.gz` to its end and refuses it, naming the entry, when anything in it would
 * reach outside the tree it unpacks to: an absolute path, a `..`, a member under a symbolic
 * link, a link whose target resolves outside (following the archive's own links), a device or
 * FIFO; or when it unpacks to more than the limits allow. Nothing is written anywhere: this
 * runs before a deploy changes anything. Decompression stops as soon as a limit is crossed, so
 * a bomb costs what the limit allows, no more.
 */
export async function checkArchive(source: NodeJS.ReadableStream, limits: ArchiveLimits): Promise<ArchiveSummary> {
  const tree = new TreeRules();
  const summary = { entries: 0, files: 0, unpackedBytes: 0 };
  const manifest = new ManifestBuilder();
  const reader = new TarReader((entry) => {
    summary.entries += 1;
    if (summary.entries > limits.entriesMax) throw new ArchiveProblem(entry.name, `is past the ${limits.entriesMax} entries an archive may hold`);
    if (entry.type === 'file') {
      summary.files += 1;
      summary.unpackedBytes += entry.size;
      if (summary.unpackedBytes > limits.unpackedMaxBytes) {
        throw new ArchiveProblem(entry.name, `takes what the archive unpacks to past ${limits.unpackedMaxBytes} bytes, the most allowed`);
      }
    }
    tree.add(entry);
    manifest.entry(entry);
  }, (chunk) => manifest.data(chunk));
  const bound = byteBound(tarBytesMax(limits), (max) => new ArchiveProblem(null, `unpacks to more than ${max} bytes of tar (a decompression bomb?)`));
  try {
    await pipeline(source, gunzip(), bound, reader);
  } catch (err) {
    if (err instanceof ArchiveProblem) throw err;
    const code = (err as NodeJS.ErrnoException).code ?? '';
    if (code.startsWith('Z_')) throw new ArchiveProblem(null, `is not a gzip-compressed tar archive (${(err as Error).message})`);
    throw err;
  }
  if (summary.entries === 0) throw new ArchiveProblem(null, 'holds no files');
  tree.check();
  return { ...summary, manifest: manifest.manifest() };
}

/** Where each entry lands, and whether anything it makes leads outside. */
class TreeRules {
  private readonly links = new Map<string, string>();
  /** Each link's entry name as written, for messages. */
  private readonly linkNames = new Map<string, string>();
  private readonly hardlinks: Array<{ path: string; name: string; target: string }> = [];
  private readonly paths: Array<{ path: string; name: string }> = [];

  add(entry: TarEntry): void {
    if (entry.type === 'device' || entry.type === 'fifo') throw new ArchiveProblem(entry.name, `is a ${entry.type === 'fifo' ? 'FIFO' : 'device'}; an app's tree holds files, directories and links only`);
    if (entry.type === 'other') throw new ArchiveProblem(entry.name, 'is of a kind of tar member that is not unpacked here (sparse, multi-volume, …)');
    const path = normalise(entry.name, entry.name);
    if (path === '' && entry.type !== 'directory') throw new ArchiveProblem(entry.name, 'names the top of the tree itself');
    this.paths.push({ path, name: entry.name });
    if (entry.type === 'symlink') {
      if (entry.linkname.startsWith('/')) throw new ArchiveProblem(entry.name, `is a link to the absolute path "${entry.linkname}", outside the app's tree`);
      if (entry.linkname === '') throw new ArchiveProblem(entry.name, 'is a link to nothing');
      this.links.set(path, entry.linkname);
      this.linkNames.set(path, entry.name);
    } else if (entry.type === 'hardlink') {
      this.hardlinks.push({ path, name: entry.name, target: normalise(entry.linkname, entry.name) });
    }
  }

  /** Run once every entry is known: a later link can change where an earlier path leads. */
  check(): void {
    for (const { path, name } of this.paths) {
      const parts = path.split('/');
      for (let i = 1; i < parts.length; i++) {
        const above = parts.slice(0, i).join('/');
        if (this.links.has(above)) throw new ArchiveProblem(name, `lies under "${above}", which the archive makes a link: unpacking it would write wherever that link leads`);
      }
    }
    for (const [path, target] of this.links) {
      const from = path.split('/').slice(0, -1);
      if (this.resolve([...from, ...target.split('/')], 0) === null) throw new ArchiveProblem(this.linkNames.get(path)!, `is a link to "${target}", which leads outside the app's tree`);
    }
    for (const { name, target } of this.hardlinks) {
      if (this.resolve(target.split('/'), 0) === null) throw new ArchiveProblem(name, `is a hard link to "${target}", which leads outside the app's tree`);
    }
  }

  /** The path inside the tree that `parts` (relative to its top) resolve to, or null when they leave it. */
  private resolve(parts: string[], depth: number): string[] | null {
    if (depth > 40) return null;
    let at: string[] = [];
    for (const part of parts) {
      if (part === '' || part === '.') continue;
      if (part === '..') {
        if (at.length === 0) return null;
        at.pop();
        continue;
      }
      at.push(part);
      const link = this.links.get(at.join('/'));
      if (link === undefined) continue;
      if (link.startsWith('/')) return null;
      const resolved = this.resolve([...at.slice(0, -1), ...link.split('/')], depth + 1);
      if (resolved === null) return null;
      at = resolved;
    }
    return at;
  }
}

/** `./a//b/` → `a/b`; refuses absolute paths and `..`. */
export function normalise(name: string, entry: string): string {
  if (name.startsWith('/')) throw new ArchiveProblem(entry, 'is an absolute path; paths in the archive are relative to /srv/app');
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw new ArchiveProblem(entry, 'climbs out of the tree with ".."');
  return parts.join('/');
}
