import { DataSource } from 'typeorm';
import { SecretMask } from '../common/redact/secret-mask.js';
import { LIVE_CHANNEL } from '../live/live-events.js';
import { OperationsService } from '../operations/operations.service.js';
import { Release } from './entities/release.entity.js';

/** A release's log keeps its last 64 KiB: a chatty release command cannot grow a row without end. */
const MAX_BYTES = 64 * 1024;
const FLUSH_MS = 500;

/**
 * A release's deploy log: its steps (each also the operation's message, for clients following
 * it) and the release command's output, saved to the release as it goes. Every member of the
 * company reads it, viewers too, while the app's secrets are sealed from them: whatever the
 * release command prints of them is masked before it is kept or sent anywhere.
 */
export class ReleaseLog {
  private buffer: string;
  private lastFlush = 0;
  // One after another: NOTIFYs are delivered in commit order, so lines reach streams in order.
  private announced: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly db: DataSource,
    private readonly operations: OperationsService,
    private readonly release: Release,
    private readonly companyId: number,
    private readonly mask: SecretMask,
  ) {
    this.buffer = release.log;
  }

  line(text: string): void {
    this.append(this.mask.apply(text));
  }

  async step(text: string): Promise<void> {
    this.line(`${new Date().toISOString()} ${text}`);
    if (this.release.operationId !== null) await this.operations.progress(this.release.operationId, `release ${this.release.version}: ${this.mask.apply(text)}`);
    await this.flush();
  }

  /** Appends a stream's lines (the release command's stdout or stderr) until it ends. */
  async follow(stream: NodeJS.ReadableStream): Promise<void> {
    let partial = '';
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      const lines = (partial + chunk.toString('utf8')).split('\n');
      partial = lines.pop()!;
      for (const line of lines) this.output(line);
      if (Date.now() - this.lastFlush > FLUSH_MS) await this.flush();
    }
    if (partial) this.output(partial);
    await this.announced;
    await this.flush();
  }

  /** A line the operation printed: into the log, and to the operation's live stream as it comes. */
  private output(raw: string): void {
    const line = this.mask.apply(raw);
    this.append(line);
    if (this.release.operationId === null) return;
    const payload = JSON.stringify({ kind: 'output', company_id: this.companyId, operation_id: this.release.operationId, line: line.slice(0, 1000) });
    this.announced = this.announced.then(() => this.db.query('SELECT pg_notify($1, $2)', [LIVE_CHANNEL, payload])).catch(() => undefined);
  }

  private append(masked: string): void {
    this.buffer += `${masked}\n`;
    if (Buffer.byteLength(this.buffer) > MAX_BYTES) this.buffer = `[earlier lines dropped]\n${this.buffer.slice(-MAX_BYTES / 2)}`;
  }

  text(): string {
    return this.buffer;
  }

  private async flush(): Promise<void> {
    this.lastFlush = Date.now();
    await this.db.getRepository(Release).update({ id: this.release.id }, { log: this.buffer });
  }
}
