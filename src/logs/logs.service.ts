import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DataSource } from 'typeorm';
import { AppEnvironment } from '../app-config/app-environment.js';
import { appSecretMask } from '../app-config/app-secret-mask.js';
import { App } from '../apps/entities/app.entity.js';
import { DomainError } from '../common/errors/domain-error.js';
import { BerthConfig } from '../config/config.js';
import { CONFIG } from '../config/config.module.js';
import { SecretMask } from '../common/redact/secret-mask.js';
import { TtlCache } from '../common/ttl-cache.js';
import { frame, type SseStream } from '../live/sse-stream.js';
import { LiveStreams } from '../live/live-streams.js';
import type { LogLineDto, LogQueryDto } from './dto/log.dto.js';
import { LogFollowHub } from './log-follow-hub.js';
import { idAfter, LogEntry, LogStore, StoredEntry } from './log-store.js';

const DEFAULT_LINES = 100;
const STREAM_ID = /^\d{1,20}-\d{1,20}$/;
// A follower's secret mask is read again this often: a value sealed while it follows (without a
// restart, so the collector, which masks as it stores, still has the mask from before) is masked
// from then on, in the lines it stores later as in those stored earlier.
const MASK_FRESH_MS = 1000;

/**
 * The SSE `gap` event: lines after `after` (a `log` event's id) were trimmed from the log
 * (LOGS_RETENTION_*) before this client got them. It carries no id: reconnecting after it resumes
 * after the last line received, and is told again.
 */
const gapFrame = (after: string, process: string | undefined) =>
  frame('gap', {
    after,
    message:
      `lines after ${after} were trimmed from the log (LOGS_RETENTION_BYTES, LOGS_RETENTION_SECONDS) before this client received them` +
      // The log is numbered as a whole: the lines trimmed may all be other programs'.
      (process === undefined ? '' : `; they may be of any program, not only ${process}`),
  });

/** What a follower is sent first, the line it goes on after (and its number, when known), and whether lines after that one were trimmed. */
interface Start {
  lines: StoredEntry[];
  until: string;
  n?: number;
  gap: boolean;
}

const toDto = (e: LogEntry): LogLineDto => ({ timestamp: e.timestamp, process: e.process, stream: e.stream, message: e.message });

/** The line as an SSE `log` event, masked, kept on the entry for the next follower with the same mask. */
function logFrame(entry: StoredEntry, mask: SecretMask): string {
  entry.frameMask = mask;
  return (entry.frame = frame('log', toDto({ ...entry, message: mask.apply(entry.message) }), entry.id));
}

/** Reads and follows an app's log (docs/logs.md). */
@Injectable()
export class LogsService {
  /** Each followed app's current mask, shared by its followers in this process. */
  private readonly masks = new TtlCache<number, SecretMask>(MASK_FRESH_MS);

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(CONFIG) private readonly config: BerthConfig,
    private readonly store: LogStore,
    private readonly hub: LogFollowHub,
    private readonly live: LiveStreams,
    private readonly environment: AppEnvironment,
  ) {}

  /** The last `lines` lines that match, oldest first. */
  async read(companyId: number, appId: number, query: LogQueryDto): Promise<LogLineDto[]> {
    await this.assertApp(companyId, appId);
    const { lines } = await this.backlog(appId, query, await this.freshMask(appId));
    return lines.map(toDto);
  }

  /**
   * The matching backlog, then every new matching line as an SSE `log` event whose `id:` is its
   * place in the log: a client reconnecting with `Last-Event-ID` gets the lines after it instead.
   */
  async follow(companyId: number, appId: number, query: LogQueryDto, request: FastifyRequest, reply: FastifyReply): Promise<void> {
    await this.assertApp(companyId, appId);
    const resume = typeof request.headers['last-event-id'] === 'string' ? request.headers['last-event-id'].trim() : '';
    const keep = this.filter(query);
    await this.live.serve(companyId, request, reply, async () => {
      // Read before the answer is an event stream: a bad query or an unreachable store is answered as an error.
      // Lines come from the store as they were stored: masked here with the app's mask as it is now.
      let mask = await this.freshMask(appId);
      const { lines: backlog, until: after, n, gap } = STREAM_ID.test(resume) ? await this.resumed(appId, resume) : await this.backlog(appId, query, mask);
      const remask = setInterval(() => void this.mask(appId).then((m) => (mask = m), () => undefined), MASK_FRESH_MS);
      remask.unref();
      let unfollow = () => {};
      let stopped = false;
      const start = (stream: SseStream) => {
        const sink = {
          // Made once per line and mask for all of its followers in this process.
          deliver: (entry: StoredEntry) => !keep(entry) || stream.offer(entry.frameMask === mask ? entry.frame! : logFrame(entry, mask)),
          afterRead: (resume: () => void) => stream.afterRead(resume),
          gap: (last: string) => stream.offer(gapFrame(last, query.process)),
          fail: () => {
            stream.send('error', { code: 'unavailable', message: 'the log store (Redis) is unavailable; reconnect shortly' });
            stream.close();
          },
        };
        // The backlog as fast as the client reads it, then the lines after it.
        const send = (from: number) => {
          for (let i = from; i < backlog.length; i++) {
            if (!stream.offer(frame('log', toDto(backlog[i]), backlog[i].id))) return stream.afterRead(() => send(i));
          }
          if (!stopped) unfollow = this.hub.follow(appId, after, sink, n);
        };
        if (gap) stream.offer(gapFrame(after, query.process));
        send(0);
      };
      return {
        start,
        stop: () => {
          stopped = true;
          clearInterval(remask);
          unfollow();
        },
      };
    });
  }

  /** The matching lines up to the newest now, and the id a follower goes on after. */
  private async backlog(appId: number, query: LogQueryDto, mask: SecretMask): Promise<Start> {
    const lines = query.lines ?? DEFAULT_LINES;
    if (lines > this.config.logs.linesMax) throw DomainError.field('lines', `must be at most ${this.config.logs.linesMax} (LOGS_LINES_MAX)`);
    const since = query.since ? new Date(query.since) : null;
    if (since && Number.isNaN(since.getTime())) throw DomainError.field('since', 'must be an RFC 3339 date-time, like 2026-12-02T10:00:00Z');
    // New lines are masked as they are stored; `mask` also masks lines stored before a value became secret.
    try {
      const { id: until, n } = await this.store.newest(appId);
      if (until === '0-0') return { lines: [], until, gap: false };
      const found = await this.store.tail(appId, until, lines, since?.getTime() ?? 0, this.filter(query));
      return { lines: found.map((e) => ({ ...e, message: mask.apply(e.message) })), until, n, gap: false };
    } catch (err) {
      if (err instanceof DomainError) throw err;
      throw new DomainError('unavailable', 'the log store (Redis) is unavailable; try again shortly');
    }
  }

  /**
   * Where a client coming back with `Last-Event-ID` goes on: after that line, from its number while
   * it is stored (the hub then sees any line skipped since); once trimmed, whether lines after it
   * were trimmed too, which it is told first.
   */
  private async resumed(appId: number, after: string): Promise<Start> {
    try {
      // An id past the newest line (made up, or another installation's) goes on from the newest:
      // the hub's shared read starts where an app's first follower does, and every other follower
      // of the app would wait there with it.
      const newest = await this.store.newest(appId);
      if (idAfter(after, newest.id)) return { lines: [], until: newest.id, n: newest.n, gap: false };
      const n = await this.store.numberOf(appId, after);
      if (n !== undefined) return { lines: [], until: after, n, gap: false };
      return { lines: [], until: after, gap: (await this.store.trimmedAfter(appId, after)) !== null };
    } catch {
      throw new DomainError('unavailable', 'the log store (Redis) is unavailable; try again shortly');
    }
  }

  /** The mask as the app's config has it now: what a read and a follow's start use. */
  private async freshMask(appId: number): Promise<SecretMask> {
    const mask = await appSecretMask(this.environment, appId);
    this.masks.set(appId, mask);
    return mask;
  }

  /** The mask at most MASK_FRESH_MS old, one read for all followers of the app: what a follow goes on with. */
  private mask(appId: number): Promise<SecretMask> {
    return this.masks.get(appId, () => appSecretMask(this.environment, appId));
  }

  private filter(query: LogQueryDto): (e: LogEntry) => boolean {
    const since = query.since ? preciseTime(query.since) : null;
    return (e) => (query.process === undefined || e.process === query.process) && (since === null || e.timestamp >= since);
  }

  private async assertApp(companyId: number, appId: number): Promise<void> {
    if (!(await this.db.getRepository(App).exists({ where: { id: appId, companyId } }))) throw DomainError.notFound('app');
  }
}

/**
 * An RFC 3339 time as the store writes them (UTC, nine digits of fraction), keeping the digits a
 * Date would drop: `since` set to a line's own timestamp includes that line and none before it.
 */
export function preciseTime(value: string): string {
  const fraction = /\.(\d+)(?:Z|[+-]\d\d:\d\d)$/i.exec(value)?.[1] ?? '';
  const seconds = new Date(value).toISOString().slice(0, 19);
  return `${seconds}.${fraction.slice(0, 9).padEnd(9, '0')}Z`;
}
