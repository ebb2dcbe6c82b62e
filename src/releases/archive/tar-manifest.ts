import { createHash, Hash } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { gunzip } from './gunzip.js';
import type { EntryType, TarEntry } from './tar-reader.js';
import { TarReader } from './tar-reader.js';
import { normalise } from './archive-check.js';

/** What an archive makes at one path: enough to tell whether two archives make the same thing there. */
export interface ManifestEntry {
  type: EntryType;
  mode: number;
  linkname: string;
  /** A regular file's bytes. */
  size: number;
  /** Modification time, whole seconds. */
  mtime: number;
  /** SHA-256 of a regular file's data (an archive's manifest; a listing of a tree has none). */
  sha256?: string;
}

/** Every path an archive makes (normalised, `a/b`), and its top-level berth.json as text. */
export interface Manifest {
  entries: Record<string, ManifestEntry>;
  berthJson: string | null;
}

const BERTH_JSON_MAX = 64 * 1024;

/** Builds a Manifest from a TarReader's entries and data, as they come. */
export class ManifestBuilder {
  private readonly entries: Record<string, ManifestEntry> = {};
  private hash: Hash | null = null;
  private current: ManifestEntry | null = null;
  private berth: Buffer[] | null = null;
  private berthJson: string | null = null;

  entry(entry: TarEntry): void {
    this.close();
    const path = normalise(entry.name, entry.name);
    // Later members of one path win, as they do when unpacked.
    this.current = { type: entry.type, mode: entry.mode, linkname: entry.linkname, size: entry.size, mtime: entry.mtime };
    this.entries[path] = this.current;
    if (entry.type === 'file') {
      this.hash = createHash('sha256');
      if (path === 'berth.json') this.berth = [];
    }
  }

  data(chunk: Buffer): void {
    this.hash?.update(chunk);
    if (this.berth && this.berth.reduce((n, b) => n + b.length, 0) < BERTH_JSON_MAX) this.berth.push(Buffer.from(chunk));
  }

  manifest(): Manifest {
    this.close();
    return { entries: this.entries, berthJson: this.berthJson };
  }

  private close(): void {
    if (this.current && this.hash) this.current.sha256 = this.hash.digest('hex');
    if (this.berth) this.berthJson = Buffer.concat(this.berth).subarray(0, BERTH_JSON_MAX).toString('utf8');
    this.hash = null;
    this.current = null;
    this.berth = null;
  }
}

/** Reads a checked `tar.gz` once, hashing each file. */
export async function readManifest(source: NodeJS.ReadableStream): Promise<Manifest> {
  const builder = new ManifestBuilder();
  await pipeline(source, gunzip(), new TarReader((e) => builder.entry(e), (c) => builder.data(c)));
  return builder.manifest();
}

/** Bytes of every file an archive makes. */
export function sizeOf(manifest: Manifest): number {
  let bytes = 0;
  for (const entry of Object.values(manifest.entries)) bytes += entry.type === 'file' ? entry.size : 0;
  return bytes;
}

export interface TreeChange {
  /** Paths the new archive must unpack: what changed or is new, and every directory (modes, and a place for what is new). */
  unpack: Set<string>;
  /** Paths of the old tree to remove before unpacking: gone, or changed (so no new file shares an inode with the running tree). */
  remove: string[];
  /** Entries of the new archive left as the old tree has them. */
  unchanged: number;
}

/**
 * Whether an entry of the old tree can stay for one of the new archive: same type, mode, link
 * target and, for a file, SHA-256 of its contents. A hard link is never the same: what it links to
 * may have changed (and been made anew) under it.
 */
function same(a: ManifestEntry, b: ManifestEntry): boolean {
  if (a.type === 'hardlink' || a.type !== b.type || a.mode !== b.mode || a.linkname !== b.linkname) return false;
  return a.type !== 'file' || (a.sha256 !== undefined && a.sha256 === b.sha256);
}

/**
 * What turns the tree `from` describes into one unpacked from `to`, when the old tree's files are
 * linked rather than copied. An entry that is the same is kept, with its earlier modification time.
 */
export function treeChange(from: Manifest, to: Manifest): TreeChange {
  const unpack = new Set<string>();
  const remove: string[] = [];
  let unchanged = 0;
  for (const [path, entry] of Object.entries(to.entries)) {
    const before = from.entries[path];
    if (entry.type === 'directory') unpack.add(path);
    else if (before && same(before, entry)) unchanged++;
    else unpack.add(path);
  }
  for (const [path, entry] of Object.entries(from.entries)) {
    const after = to.entries[path];
    if (path === '') continue;
    if (!after || after.type !== entry.type || (entry.type !== 'directory' && !same(entry, after))) remove.push(path);
  }
  return { unpack, remove, unchanged };
}
