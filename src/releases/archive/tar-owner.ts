import { Transform, TransformCallback } from 'node:stream';
import { normalise } from './archive-check.js';
import { numeric, paxRecords, text } from './tar-reader.js';

const BLOCK = 512;
const META_MAX = 64 * 1024;
/** Ownership pax records carry; they would override the header's. */
const OWNER_KEYS = new Set(['uid', 'gid', 'uname', 'gname']);

/**
 * Rewrites a tar stream (already checked by checkArchive, uncompressed) so that every member
 * belongs to `uid`:`gid` (`name`): the app's user must own its tree (to rsync into it, to remove it
 * later), and a root that unpacked it would keep the owners a header names (the deploy's tar runs
 * as the app's user, with --no-same-owner, so this is a second guard, not the first). Header
 * fields are patched in place (checksums recomputed); pax records naming an owner are dropped.
 * Sizes and data pass through untouched. With `keep`, only the members whose path (normalised,
 * `a/b`) it accepts are written, each with its own pax and long-name records; the rest are left out.
 */
export class TarOwner extends Transform {
  private pending = Buffer.alloc(0);
  private passing = 0;
  private meta: { header: Buffer; size: number; chunks: Buffer[]; got: number } | null = null;
  private nextSize: number | null = null;
  /** The next member's records (pax, GNU long names), written before it, or not at all with it. */
  private held: Buffer[] = [];
  private paxPath: string | undefined;
  private gnuPath: string | undefined;
  /** The current member's data is left out. */
  private dropping = false;
  /** The archive's end (a zero block where a header belongs) has been passed on: tar stops reading there. */
  ended = false;

  constructor(
    private readonly uid: number,
    private readonly gid: number,
    private readonly name: string,
    private readonly keep?: (path: string) => boolean,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    try {
      let data = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
      this.pending = Buffer.alloc(0);
      while (data.length > 0) {
        if (this.passing > 0) {
          const n = Math.min(this.passing, data.length);
          if (this.meta) {
            this.meta.chunks.push(data.subarray(0, n));
            this.meta.got += n;
          } else if (!this.dropping) this.push(data.subarray(0, n));
          this.passing -= n;
          data = data.subarray(n);
          if (this.passing === 0 && this.meta) this.endMeta();
          continue;
        }
        if (data.length < BLOCK) {
          this.pending = Buffer.from(data);
          break;
        }
        this.header(Buffer.from(data.subarray(0, BLOCK)));
        data = data.subarray(BLOCK);
      }
      done();
    } catch (err) {
      done(err as Error);
    }
  }

  override _flush(done: TransformCallback): void {
    if (this.pending.length > 0) this.push(this.pending);
    done();
  }

  private header(block: Buffer): void {
    if (block.every((b) => b === 0)) {
      this.ended = true;
      this.push(block);
      return;
    }
    const flag = String.fromCharCode(block[156]);
    const own = numeric(block.subarray(124, 136));
    if (!Number.isSafeInteger(own) || own < 0) throw new Error('a header gives an impossible size');
    if (flag === 'x' || flag === 'g' || flag === 'L' || flag === 'K') {
      if (!(own >= 0 && own <= META_MAX)) throw new Error('a pax record or long name is larger than allowed');
      this.meta = { header: block, size: own, chunks: [], got: 0 };
      this.passing = Math.ceil(own / BLOCK) * BLOCK;
      if (this.passing === 0) this.endMeta();
      return;
    }
    const size = this.nextSize ?? own;
    this.nextSize = null;
    const base = text(block.subarray(0, 100));
    const prefix = block.subarray(257, 263).toString('latin1') === 'ustar\0' ? text(block.subarray(345, 500)) : '';
    const path = this.paxPath ?? this.gnuPath ?? (prefix ? `${prefix}/${base}` : base);
    const held = this.held;
    this.held = [];
    this.paxPath = this.gnuPath = undefined;
    this.dropping = this.keep !== undefined && !this.keep(normalise(path, path));
    this.passing = Math.ceil(size / BLOCK) * BLOCK;
    if (this.dropping) return;
    for (const b of held) this.push(b);
    field(block, 108, 8, octal(this.uid, 7));
    field(block, 116, 8, octal(this.gid, 7));
    if (block.subarray(257, 262).toString('latin1') === 'ustar') {
      field(block, 265, 32, this.name);
      field(block, 297, 32, this.name);
    }
    checksum(block);
    this.push(block);
  }

  /** A pax record block again, without owners (a `size` in it is the next member's); a long name kept as it is. */
  private endMeta(): void {
    const { header, size, chunks } = this.meta!;
    this.meta = null;
    const body = Buffer.concat(chunks).subarray(0, size);
    const flag = String.fromCharCode(header[156]);
    if (flag === 'L' || flag === 'K') {
      if (flag === 'L') this.gnuPath = text(body);
      this.held.push(header, Buffer.concat(chunks));
      return;
    }
    const records = paxRecords(body);
    if (flag === 'x' && records.path !== undefined) this.paxPath = records.path;
    if (records.size !== undefined && String.fromCharCode(header[156]) === 'x') this.nextSize = Number(records.size);
    const kept = Object.entries(records)
      .filter(([key]) => !OWNER_KEYS.has(key))
      .map(([key, value]) => `${key}=${value}`);
    const out = Buffer.from(kept.map(paxRecord).join(''), 'utf8');
    field(header, 124, 12, octal(out.length, 11));
    checksum(header);
    const blocks = [header, out, Buffer.alloc(Math.ceil(out.length / BLOCK) * BLOCK - out.length)];
    // A global record is no member's: it is written whatever is left out.
    if (flag === 'g') for (const b of blocks) this.push(b);
    else this.held.push(...blocks);
  }
}

/** `<length> <key>=<value>\n`, the length counting itself. */
function paxRecord(record: string): string {
  const bytes = Buffer.byteLength(record, 'utf8') + 2;
  let length = bytes + String(bytes).length;
  if (String(length).length !== String(bytes).length) length = bytes + String(length).length;
  return `${length} ${record}\n`;
}

function octal(value: number, digits: number): string {
  return value.toString(8).padStart(digits, '0');
}

function field(block: Buffer, offset: number, length: number, value: string): void {
  block.fill(0, offset, offset + length);
  block.write(value, offset, length - 1, 'latin1');
}

function checksum(block: Buffer): void {
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += block[i];
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'latin1');
}
