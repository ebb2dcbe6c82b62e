import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { Redis } from 'ioredis';
import { REDIS } from '../common/redis/redis.module.js';
import { idAfter, LogStore, StoredEntry, toEntry } from './log-store.js';

// A blocked read wakes at least this often, so a follower that left is let go of.
const BLOCK_MS = 5000;
const READ_COUNT = 1000;
const RETRY_MS = 1000;
const WAKE_AGAIN_MS = 50;

/** Where a follower's lines go: an SSE stream, which may have too much unread to take more. */
export interface FollowSink {
  /** Sends the line (or leaves it out); false when it was not sent: its client has too much unread. */
  deliver(entry: StoredEntry): boolean;
  /** Calls `resume` once its client has read enough to take lines again. */
  afterRead(resume: () => void): void;
  /** Lines after `after` were trimmed from the log (retention) before the follower got them; false as `deliver`. */
  gap(after: string): boolean;
  fail(err: Error): void;
}

interface Follower {
  sink: FollowSink;
  /** Id of the last line it was given. */
  last: string;
  /** That line's number, when known (the first line it is given is compared with nothing). */
  n: number | undefined;
  /** Lines that came while its gap was being filled, given after it. */
  held: StoredEntry[] | null;
  /** Given nothing until its client has read: then it goes on from its last line, read from the store. */
  paused: boolean;
  gone: boolean;
}

/**
 * The API process's followers of apps' logs: one blocking read of Redis for every app followed
 * here, however many follow each, so a follower costs no query (and no exec) of its own.
 * Adding an app wakes the blocked read (CLIENT UNBLOCK) so that it reads that app's log too.
 * The store is every follower's buffer: one whose client has too much unread is given nothing
 * until it has read it, and then catches up from the store, as a follower joining behind does.
 */
@Injectable()
export class LogFollowHub implements OnApplicationShutdown {
  private readonly logger = new Logger('log-follow');
  private readonly apps = new Map<number, { cursor: string; followers: Set<Follower> }>();
  private reader: Redis | null = null;
  private readerId: number | null = null;
  private running = false;
  private reads = 0;
  private closed = false;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    private readonly store: LogStore,
  ) {}

  onApplicationShutdown(): void {
    this.closed = true;
    this.reader?.disconnect();
  }

  /**
   * Gives `sink` every line of the app after `after` (whose number is `n`, when known), in order
   * and once each, as they are stored, until the returned function is called; `gap` when lines
   * were trimmed before it got them. `fail` is called (and the follow ends) when Redis cannot be read.
   */
  follow(appId: number, after: string, sink: FollowSink, n?: number): () => void {
    const follower: Follower = { sink, last: after, n, held: null, paused: false, gone: false };
    let app = this.apps.get(appId);
    if (!app) {
      app = { cursor: after, followers: new Set() };
      this.apps.set(appId, app);
      this.wake();
    } else if (idAfter(app.cursor, after)) {
      // The shared read is past where this follower is: fill the gap first, holding what comes meanwhile.
      this.catchUp(appId, follower, app.cursor);
    }
    app.followers.add(follower);
    this.start();
    return () => {
      follower.gone = true;
      app.followers.delete(follower);
      if (app.followers.size === 0 && this.apps.get(appId) === app) this.apps.delete(appId);
    };
  }

  /** Gives the follower the lines after its last one up to `until` from the store, then what came meanwhile. */
  private catchUp(appId: number, follower: Follower, until: string): void {
    follower.held = [];
    void this.fill(appId, follower, until);
  }

  private async fill(appId: number, follower: Follower, until: string): Promise<void> {
    try {
      let after = follower.last;
      for (;;) {
        const entries = await this.store.range(appId, after, until, READ_COUNT);
        // Paused (or gone): it goes on from its last line once its client has read.
        for (const entry of entries) if (!this.give(appId, follower, entry, true)) return;
        if (entries.length < READ_COUNT) break;
        after = entries[entries.length - 1].id;
      }
      const held = follower.held ?? [];
      follower.held = null;
      for (const entry of held) if (!this.give(appId, follower, entry, true)) return;
    } catch (err) {
      follower.sink.fail(err as Error);
    }
  }

  /** False when the follower takes nothing more for now (it is paused, or gone). */
  private give(appId: number, follower: Follower, entry: StoredEntry, filling = false): boolean {
    if (follower.paused || follower.gone) return false;
    if (follower.held && !filling) {
      follower.held.push(entry);
      return true;
    }
    if (!idAfter(entry.id, follower.last)) return true;
    // A number skipped: the lines between were trimmed from the log (retention) before this
    // follower got them, whether it waited for its client or a burst outran the shared read.
    const skipped = entry.n !== undefined && follower.n !== undefined && entry.n > follower.n + 1;
    if ((skipped && !this.gap(follower, entry)) || !follower.sink.deliver(entry)) {
      // What it misses meanwhile stays in the store: nothing is held for it.
      follower.paused = true;
      follower.held = null;
      follower.sink.afterRead(() => this.resume(appId, follower));
      return false;
    }
    follower.last = entry.id;
    follower.n = entry.n;
    return true;
  }

  /** Tells the follower of the lines missed before `entry`, once; false when its client has too much unread. */
  private gap(follower: Follower, entry: StoredEntry): boolean {
    if (!follower.sink.gap(follower.last)) return false;
    // Told: should the line itself have to wait for the client, it is no news again.
    follower.n = entry.n! - 1;
    return true;
  }

  private resume(appId: number, follower: Follower): void {
    const app = this.apps.get(appId);
    if (follower.gone || !app?.followers.has(follower)) return;
    follower.paused = false;
    this.catchUp(appId, follower, app.cursor);
  }

  private start(): void {
    if (this.running || this.closed) return;
    this.running = true;
    void this.loop().finally(() => {
      this.running = false;
      if (this.apps.size > 0 && !this.closed) setTimeout(() => this.start(), RETRY_MS).unref();
    });
  }

  private async loop(): Promise<void> {
    while (this.apps.size > 0 && !this.closed) {
      const ids = [...this.apps.keys()];
      const keys = ids.map((id) => this.store.key(id));
      const cursors = ids.map((id) => this.apps.get(id)!.cursor);
      let result: [string, [string, string[]][]][] | null;
      try {
        const reader = await this.connection();
        this.reads++;
        result = (await reader.xread('COUNT', READ_COUNT, 'BLOCK', BLOCK_MS, 'STREAMS', ...keys, ...cursors)) as typeof result;
      } catch (err) {
        if (this.closed) return;
        this.logger.warn(`reading apps' logs: ${(err as Error).message}`);
        this.reader?.disconnect();
        this.reader = null;
        for (const app of this.apps.values()) for (const f of app.followers) f.sink.fail(err as Error);
        this.apps.clear();
        return;
      }
      for (const [key, rows] of result ?? []) {
        const appId = ids[keys.indexOf(key)];
        const app = this.apps.get(appId);
        if (!app || rows.length === 0) continue;
        app.cursor = rows[rows.length - 1][0];
        for (const row of rows) {
          const entry = toEntry(row);
          for (const follower of app.followers) this.give(appId, follower, entry);
        }
      }
    }
  }

  /** The blocking connection of its own (a blocked read holds its connection until it returns). */
  private async connection(): Promise<Redis> {
    if (!this.reader) {
      this.reader = this.redis.duplicate({ enableOfflineQueue: true, maxRetriesPerRequest: 1 });
      // Its reads fail while Redis is away, and followers hear of it from them; ioredis would also
      // print every reconnect attempt to stderr ("Unhandled error event") without a listener.
      this.reader.on('error', () => undefined);
      this.readerId = (await this.reader.client('ID')) as number;
    }
    return this.reader;
  }

  /** Ends the blocked read now, so that the next one includes a newly followed app. */
  private wake(): void {
    if (this.readerId === null) return;
    const unblock = () => void this.redis.client('UNBLOCK', this.readerId!).catch(() => undefined);
    unblock();
    // A read sent just before the app was added, reaching Redis after the first UNBLOCK, would
    // block without it: wake it again unless a read has begun since.
    const reads = this.reads;
    setTimeout(() => {
      if (this.reads === reads) unblock();
    }, WAKE_AGAIN_MS).unref();
  }
}
