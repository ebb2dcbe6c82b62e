import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import pg from 'pg';
import { BerthConfig } from '../config/config.js';
import { CONFIG } from '../config/config.module.js';
import type { OperationDto } from '../operations/dto/operation.dto.js';

export const LIVE_CHANNEL = 'berth_live';
const RECONNECT_MS = 1000;

/** An app's status as live events carry it (`deleted` once its row is gone). */
export interface LiveApp {
  id: number;
  name: string;
  status: string;
  status_message: string;
}

/** What PostgreSQL announces on `berth_live` (see the live-events migration), and what the worker adds. */
export type LiveEvent =
  | { kind: 'operation'; company_id: number; operation: OperationDto }
  | { kind: 'app'; company_id: number; app: LiveApp }
  /** A line a running operation printed (a release command's output): never stored as an operation change. */
  | { kind: 'output'; company_id: number; operation_id: number; line: string };

type Listener = (event: LiveEvent) => void;

/**
 * One LISTEN connection per API process, shared by every stream it serves: a follower costs a
 * function call per event, not a connection or a query. Events reach every process, whichever
 * made the change, once its transaction commits.
 */
@Injectable()
export class LiveEvents implements OnApplicationShutdown {
  private readonly logger = new Logger('live');
  private readonly listeners = new Map<number, Set<Listener>>();
  private client: pg.Client | null = null;
  private connecting: Promise<void> | null = null;
  private closed = false;

  constructor(@Inject(CONFIG) private readonly config: BerthConfig) {}

  /** Calls `listener` with each event of the company until the returned function is called. */
  async subscribe(companyId: number, listener: Listener): Promise<() => void> {
    await this.connect();
    let set = this.listeners.get(companyId);
    if (!set) this.listeners.set(companyId, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.listeners.get(companyId) === set) this.listeners.delete(companyId);
    };
  }

  onApplicationShutdown(): Promise<void> {
    this.closed = true;
    return this.client?.end().catch(() => undefined) ?? Promise.resolve();
  }

  /** Connects once; a lost connection is made again (events in between are missed, and streams say so). */
  private connect(): Promise<void> {
    if (this.client) return Promise.resolve();
    this.connecting ??= (async () => {
      const client = new pg.Client({ connectionString: this.config.databaseUrl.reveal(), application_name: 'berth-live' });
      client.on('notification', (message) => this.dispatch(message.payload));
      client.on('error', (err) => this.lost(client, err));
      client.on('end', () => this.lost(client, new Error('connection ended')));
      try {
        await client.connect();
        await client.query(`LISTEN ${LIVE_CHANNEL}`);
        this.client = client;
      } finally {
        this.connecting = null;
      }
    })();
    return this.connecting;
  }

  private lost(client: pg.Client, err: Error): void {
    if (this.client !== client || this.closed) return;
    this.client = null;
    this.logger.warn(`live events connection lost: ${err.message}`);
    void client.end().catch(() => undefined);
    const retry = () => {
      if (this.closed || this.listeners.size === 0) return;
      this.connect().catch(() => setTimeout(retry, RECONNECT_MS));
    };
    setTimeout(retry, RECONNECT_MS);
  }

  private dispatch(payload: string | undefined): void {
    if (!payload) return;
    let event: LiveEvent;
    try {
      event = JSON.parse(payload) as LiveEvent;
    } catch {
      return;
    }
    if (event.kind === 'operation') {
      // As the REST API gives them: JSON's timestamps from PostgreSQL carry microseconds and an offset.
      const op = event.operation as unknown as Record<string, string | null>;
      for (const field of ['created_at', 'started_at', 'finished_at']) op[field] = op[field] === null ? null : new Date(op[field]!).toISOString();
    }
    for (const listener of this.listeners.get(event.company_id) ?? []) listener(event);
  }
}
