import { Inject, Injectable } from '@nestjs/common';
import { Redis } from 'ioredis';
import type { SecretMask } from '../common/redact/secret-mask.js';
import { REDIS } from '../common/redis/redis.module.js';
import { BerthConfig } from '../config/config.js';
import { CONFIG } from '../config/config.module.js';

/** One line of an app's log. */
export interface LogEntry {
  /** RFC 3339, UTC, nine digits of fraction: when the engine received the line. */
  timestamp: string;
  /** The supervisord program that printed it, or `container` for the container's own output. */
  process: string;
  stream: 'stdout' | 'stderr';
  message: string;
}

/** A stored line with its position in the app's log (a Redis stream id), which `Last-Event-ID` resumes after. */
export interface StoredEntry extends LogEntry {
  id: string;
  /** Its number in the app's log, one more than the line before (none on lines stored before numbering). */
  n?: number;
  /** The entry as an SSE frame, made by the first follower that sends it, with the mask it was made with. */
  frame?: string;
  frameMask?: SecretMask;
}

// Appends the lines newer than the app's cursor (the time of the last line stored), so two
// writers (the collector and a container's last drain before removal) never store one twice,
// numbering them (`n`: a follower that sees a number skipped knows lines were trimmed before it
// got them), then trims the oldest lines past the app's bytes or age. KEYS: stream, bytes,
// cursor, the last number given.
// ARGV: max bytes, max age ms, then time, process, stream, message for each line.
const APPEND = `
local cursor = redis.call('GET', KEYS[3]) or ''
local seq = tonumber(redis.call('GET', KEYS[4]) or '0')
local added = 0
for i = 3, #ARGV, 4 do
  if ARGV[i] > cursor then
    seq = seq + 1
    redis.call('XADD', KEYS[1], '*', 't', ARGV[i], 'p', ARGV[i + 1], 's', ARGV[i + 2], 'm', ARGV[i + 3], 'n', seq)
    added = added + #ARGV[i] + #ARGV[i + 1] + #ARGV[i + 2] + #ARGV[i + 3]
    cursor = ARGV[i]
  end
end
-- Without lines (a sweep), only the trimming below runs.
if added == 0 and #ARGV > 2 then return 0 end
if added > 0 then
  redis.call('SET', KEYS[3], cursor)
  redis.call('SET', KEYS[4], seq)
end
local bytes = redis.call('INCRBY', KEYS[2], added)
local now = redis.call('TIME')
local oldest = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000) - tonumber(ARGV[2])
local maxBytes = tonumber(ARGV[1])
while true do
  local batch = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 100)
  if #batch == 0 then break end
  local gone = {}
  for _, entry in ipairs(batch) do
    local ms = tonumber(string.match(entry[1], '^(%d+)'))
    if bytes <= maxBytes and ms >= oldest then break end
    local f = entry[2]
    local size = 0
    -- The line's own fields, as counted when it was added (not its number).
    for j = 1, #f, 2 do
      if f[j] ~= 'n' then size = size + #f[j + 1] end
    end
    bytes = bytes - size
    gone[#gone + 1] = entry[1]
  end
  if #gone == 0 then break end
  redis.call('XDEL', KEYS[1], unpack(gone))
  if #gone < #batch then break end
end
redis.call('SET', KEYS[2], math.max(bytes, 0))
return added`;

// The newest id deleted from the stream (XINFO STREAM's max-deleted-entry-id, without the first
// and last entries it also answers with), `0-0` when the stream does not exist.
const LAST_TRIMMED = `
local info = redis.pcall('XINFO', 'STREAM', KEYS[1])
if type(info) ~= 'table' or info.err then return '0-0' end
for j = 1, #info, 2 do
  if info[j] == 'max-deleted-entry-id' then return info[j + 1] end
end
return '0-0'`;

/**
 * Apps' logs, kept in Redis streams (one per app) off the plan's disk: bounded per app by bytes
 * and age (LOGS_RETENTION_*), readable and followable from every API process. See docs/logs.md.
 */
@Injectable()
export class LogStore {
  constructor(
    @Inject(CONFIG) private readonly config: BerthConfig,
    @Inject(REDIS) private readonly redis: Redis,
  ) {}

  key(appId: number): string {
    return `${this.config.jobs.queuePrefix}:logs:${appId}`;
  }

  /** Time of the last line stored for the app: the collector resumes after it. */
  async cursor(appId: number): Promise<string | undefined> {
    return (await this.redis.get(`${this.key(appId)}:cursor`)) ?? undefined;
  }

  /** Stores the lines newer than the app's cursor, in order; returns the bytes added. */
  async append(appId: number, entries: LogEntry[]): Promise<number> {
    if (entries.length === 0) return 0;
    const { retentionBytes, retentionSeconds } = this.config.logs;
    const args: (string | number)[] = [retentionBytes, retentionSeconds * 1000];
    for (const e of entries) args.push(e.timestamp, e.process, e.stream, e.message);
    const key = this.key(appId);
    return (await this.redis.eval(APPEND, 4, key, `${key}:bytes`, `${key}:cursor`, `${key}:seq`, ...args)) as number;
  }

  /** Trims an app's log by age alone (it gets no new lines to trim it: the app is stopped, say). */
  async trim(appId: number): Promise<void> {
    const key = this.key(appId);
    const { retentionBytes, retentionSeconds } = this.config.logs;
    await this.redis.eval(APPEND, 4, key, `${key}:bytes`, `${key}:cursor`, `${key}:seq`, retentionBytes, retentionSeconds * 1000);
  }

  /** Forgets an app's log (the app is deleted). */
  async drop(appId: number): Promise<void> {
    const key = this.key(appId);
    await this.redis.del(key, `${key}:bytes`, `${key}:cursor`, `${key}:seq`);
  }

  /** The newest line's id (`0-0` when there is none) and number: a follower starts after it. */
  async newest(appId: number): Promise<{ id: string; n: number | undefined }> {
    const [row] = (await this.redis.xrevrange(this.key(appId), '+', '-', 'COUNT', 1)) as [string, string[]][];
    return row ? { id: row[0], n: toEntry(row).n } : { id: '0-0', n: undefined };
  }

  /** The number of the line `id`, if it is still stored (and was numbered). */
  async numberOf(appId: number, id: string): Promise<number | undefined> {
    const [row] = (await this.redis.xrange(this.key(appId), id, id, 'COUNT', 1)) as [string, string[]][];
    return row ? toEntry(row).n : undefined;
  }

  /**
   * The newest line trimmed from the log (retention) if it comes after `after`, else null: the
   * stream remembers the newest id it ever deleted (Redis 7's max-deleted-entry-id). A follower
   * that had read up to `after` has missed the lines trimmed after it.
   */
  async trimmedAfter(appId: number, after: string): Promise<string | null> {
    const deleted = (await this.redis.eval(LAST_TRIMMED, 1, this.key(appId))) as string;
    return idAfter(deleted, after) ? deleted : null;
  }

  /** Lines after `after` (exclusive) up to `until` (inclusive), oldest first, at most `count`. */
  async range(appId: number, after: string, until: string, count: number): Promise<StoredEntry[]> {
    const rows = (await this.redis.xrange(this.key(appId), `(${after}`, until, 'COUNT', count)) as [string, string[]][];
    return rows.map(toEntry);
  }

  /**
   * The last `lines` lines at or before `until` that `keep` accepts, oldest first, reading back
   * in batches no further than `sinceMs` (ids are arrival times, never before a line's own time).
   */
  async tail(appId: number, until: string, lines: number, sinceMs: number, keep: (e: LogEntry) => boolean): Promise<StoredEntry[]> {
    const found: StoredEntry[] = [];
    let end = until;
    const start = sinceMs > 0 ? String(sinceMs) : '-';
    const batch = Math.min(Math.max(lines * 2, 100), 5000);
    while (found.length < lines) {
      const rows = (await this.redis.xrevrange(this.key(appId), end, start, 'COUNT', batch)) as [string, string[]][];
      for (const row of rows) {
        const entry = toEntry(row);
        if (keep(entry)) found.push(entry);
        if (found.length === lines) break;
      }
      if (rows.length < batch) break;
      end = `(${rows[rows.length - 1][0]}`;
    }
    return found.reverse();
  }
}

/** Whether stream id `a` comes after `b` (ids are `milliseconds-sequence`). */
export function idAfter(a: string, b: string): boolean {
  const [am, as] = a.split('-').map(Number);
  const [bm, bs] = b.split('-').map(Number);
  return am > bm || (am === bm && as > bs);
}

export function toEntry([id, fields]: [string, string[]]): StoredEntry {
  const f: Record<string, string> = {};
  for (let i = 0; i < fields.length; i += 2) f[fields[i]] = fields[i + 1];
  return { id, n: f.n === undefined ? undefined : Number(f.n), timestamp: f.t, process: f.p, stream: f.s === 'stderr' ? 'stderr' : 'stdout', message: f.m };
}
