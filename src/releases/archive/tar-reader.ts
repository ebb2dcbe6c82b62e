import { Writable } from 'node:stream';

const BLOCK = 512;
/** Largest pax or GNU long-name record read into memory: real ones are a few hundred bytes. */
const META_MAX = 64 * 1024;

export type EntryType = 'file' | 'directory' | 'symlink' | 'hardlink' | 'device' | 'fifo' | 'other';

/** One member of a tar archive, its long names and pax overrides already applied. */
export interface TarEntry {
  /** The name as written (not normalised). */
  name: string;
  type: EntryType;
  /** Bytes of data (files only count toward what the archive unpacks to). */
  size: number;
  /** A link's target. */
  linkname: string;
  /** Permission bits of the header. */
  mode: number;
  /** Modification time, whole seconds since the epoch. */
  mtime: number;
}

/** The archive cannot be read as tar, or an entry breaks a rule; `entry` names the member when there is one. */
export class ArchiveProblem extends Error {
  constructor(
    readonly entry: string | null,
    message: string,
  ) {
    super(entry === null ? message : `entry "${entry}": ${message}`);
  }
}

const TYPES: Record<string, EntryType> = { '0': 'file', '\0': 'file', '7': 'file', '1': 'hardlink', '2': 'symlink', '3': 'device', '4': 'device', '5': 'directory', '6': 'fifo' };

/**
 * A streaming tar parser (ustar, pax and GNU long names: what GNU tar, bsdtar and `git archive`
 * write) that hands each entry to `onEntry` and skips the data. It keeps at most one block plus
 * one bounded metadata record in memory, whatever the archive claims: a header announcing a
 * gigabyte of pax data is refused, not buffered.
 *
 * Zero blocks do not stop it: it reads to the end of the stream, so no member can hide behind
 * an end-of-archive marker from this check while an extractor that reads on unpacks it.
 */
export class TarReader extends Writable {
  private pending = Buffer.alloc(0);
  private skip = 0;
  private meta: { kind: string; size: number; chunks: Buffer[]; got: number } | null = null;
  // Pax records and GNU long names for the next member, apart: GNU tar prefers pax, and where the two disagree the archive is refused.
  private overrides: { paxPath?: string; gnuPath?: string; paxLink?: string; gnuLink?: string; size?: number } = {};
  private inData = false;
  /** Bytes of the current regular member's data still to hand to `onData` (its padding is not). */
  private dataLeft = 0;

  /** `onData`, when given, gets each regular member's data, in order, after its `onEntry`. */
  constructor(
    private readonly onEntry: (entry: TarEntry) => void,
    private readonly onData?: (chunk: Buffer) => void,
  ) {
    super();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    try {
      this.consume(chunk);
      done();
    } catch (err) {
      done(err as Error);
    }
  }

  override _final(done: (error?: Error | null) => void): void {
    if (this.pending.length > 0 || this.skip > 0 || this.meta || this.inData) return done(new ArchiveProblem(null, 'the archive is cut short (it ends inside a member)'));
    done();
  }

  private consume(chunk: Buffer): void {
    let data = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = Buffer.alloc(0);
    while (data.length > 0) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, data.length);
        if (this.meta) {
          this.meta.chunks.push(data.subarray(0, Math.min(n, Math.max(0, this.meta.size - this.meta.got))));
          this.meta.got += n;
        } else if (this.dataLeft > 0) {
          const take = Math.min(n, this.dataLeft);
          this.onData?.(data.subarray(0, take));
          this.dataLeft -= take;
        }
        this.skip -= n;
        data = data.subarray(n);
        if (this.skip === 0) this.endData();
        continue;
      }
      if (data.length < BLOCK) {
        this.pending = Buffer.from(data);
        return;
      }
      this.header(data.subarray(0, BLOCK));
      data = data.subarray(BLOCK);
    }
  }

  private header(block: Buffer): void {
    if (block.every((b) => b === 0)) return;
    const stored = octal(block.subarray(148, 156));
    let sum = 8 * 0x20;
    for (let i = 0; i < BLOCK; i++) if (i < 148 || i >= 156) sum += block[i];
    if (stored !== sum) throw new ArchiveProblem(null, 'is not a tar archive (a header fails its checksum)');
    const flag = String.fromCharCode(block[156]);
    const own = numeric(block.subarray(124, 136));
    if (flag === 'x' || flag === 'g' || flag === 'L' || flag === 'K') {
      // A metadata record's size is its own header's: a pax `size` is for the member it describes.
      if (!Number.isSafeInteger(own) || own < 0) throw new ArchiveProblem(null, 'a header gives an impossible size');
      if (own > META_MAX) throw new ArchiveProblem(null, `a metadata record of ${own} bytes is larger than the ${META_MAX} allowed`);
      const padded = Math.ceil(own / BLOCK) * BLOCK;
      this.meta = { kind: flag, size: own, chunks: [], got: 0 };
      this.skip = padded;
      if (padded === 0) this.endData();
      return;
    }
    const size = this.overrides.size ?? own;
    if (!Number.isSafeInteger(size) || size < 0) throw new ArchiveProblem(null, 'a header gives an impossible size');
    const magic = block.subarray(257, 263).toString('latin1');
    const prefix = magic === 'ustar\0' ? text(block.subarray(345, 500)) : '';
    const base = text(block.subarray(0, 100));
    const { paxPath, gnuPath, paxLink, gnuLink } = this.overrides;
    this.overrides = {};
    const name = paxPath ?? gnuPath ?? (prefix ? `${prefix}/${base}` : base);
    if (paxPath !== undefined && gnuPath !== undefined && paxPath !== gnuPath) {
      throw new ArchiveProblem(name, `has two names that disagree (pax "${paxPath}", GNU long name "${gnuPath}")`);
    }
    const linkname = paxLink ?? gnuLink ?? text(block.subarray(157, 257));
    if (paxLink !== undefined && gnuLink !== undefined && paxLink !== gnuLink) throw new ArchiveProblem(name, 'has two link targets that disagree');
    const type = TYPES[flag] ?? 'other';
    // GNU tar reads data after regular files only: data declared by any other member would be
    // read as further members by it, and skipped here. Such an archive is refused, not guessed at.
    if (type !== 'file' && size > 0 && type !== 'other') throw new ArchiveProblem(name, `declares ${size} bytes of data, which a ${type} cannot have`);
    this.onEntry({ name, type, size: type === 'file' ? size : 0, linkname, mode: octal(block.subarray(100, 108)) & 0o7777, mtime: numeric(block.subarray(136, 148)) });
    this.dataLeft = type === 'file' ? size : 0;
    const padded = Math.ceil(size / BLOCK) * BLOCK;
    this.skip = padded;
    this.inData = padded > 0;
  }

  private endData(): void {
    this.inData = false;
    const meta = this.meta;
    this.meta = null;
    if (!meta) return;
    const body = Buffer.concat(meta.chunks).subarray(0, meta.size);
    if (meta.kind === 'L') this.overrides.gnuPath = text(body);
    else if (meta.kind === 'K') this.overrides.gnuLink = text(body);
    else {
      const records = paxRecords(body);
      for (const key of Object.keys(records)) {
        // GNU tar names a member by GNU.sparse.name (and sparse members are refused anyway).
        if (key.startsWith('GNU.sparse.')) throw new ArchiveProblem(null, `a pax header sets ${key} (sparse members are not unpacked here)`);
      }
      if (meta.kind === 'g') {
        // A global path would rename every member after it; no archive tool writes one.
        if ('path' in records || 'linkpath' in records || 'size' in records) throw new ArchiveProblem(null, 'a global pax header sets a path or a size');
        return;
      }
      if (records.path !== undefined) this.overrides.paxPath = records.path;
      if (records.linkpath !== undefined) this.overrides.paxLink = records.linkpath;
      if (records.size !== undefined) {
        if (!/^\d{1,15}$/.test(records.size)) throw new ArchiveProblem(null, 'a pax header gives an impossible size');
        this.overrides.size = Number(records.size);
      }
    }
  }
}

/** NUL-terminated text of a header field. */
export function text(field: Buffer): string {
  const end = field.indexOf(0);
  return field.subarray(0, end === -1 ? field.length : end).toString('utf8');
}

function octal(field: Buffer): number {
  const digits = text(field).trim();
  return /^[0-7]+$/.test(digits) ? parseInt(digits, 8) : NaN;
}

/** A size field: octal, or GNU's base-256 for sizes past 8 GB. */
export function numeric(field: Buffer): number {
  if ((field[0] & 0x80) === 0) return octal(field);
  if (field[0] & 0x40) return NaN;
  let value = field[0] & 0x3f;
  for (let i = 1; i < field.length; i++) value = value * 256 + field[i];
  return value;
}

/** `<length> <key>=<value>\n` records. */
export function paxRecords(body: Buffer): Record<string, string> {
  const records: Record<string, string> = {};
  let at = 0;
  while (at < body.length) {
    const space = body.indexOf(0x20, at);
    const length = space === -1 ? NaN : Number(body.subarray(at, space).toString('latin1'));
    if (!Number.isInteger(length) || length <= 0 || at + length > body.length) throw new ArchiveProblem(null, 'a pax header is malformed');
    const record = body.subarray(space + 1, at + length - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq <= 0) throw new ArchiveProblem(null, 'a pax header is malformed');
    // GNU tar ends a value at a NUL: what it would read and what this reads must be the same.
    if (record.includes('\0')) throw new ArchiveProblem(null, `a pax record (${record.slice(0, eq).replace(/\0/g, '')}) holds a NUL`);
    records[record.slice(0, eq)] = record.slice(eq + 1);
    at += length;
  }
  return records;
}
