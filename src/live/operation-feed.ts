import type { OperationDto } from '../operations/dto/operation.dto.js';
import { frame, type SseStream } from './sse-stream.js';

const RANK: Record<string, number> = { pending: 0, running: 1, success: 2, error: 2 };
const ended = (op: OperationDto) => op.status === 'success' || op.status === 'error';

/**
 * What one operation's stream sends: its states, never a step back, and the lines it prints; the
 * stream ends after its final state. A client more than LIVE_BUFFER_MAX behind is not dropped
 * while it reads: the lines printed meanwhile are counted instead of sent (they are not kept line
 * by line, as an app's log is; the release's log keeps its last 64 KiB), and once it has read what
 * it had, a `gap` event says how many it missed, then the newest state follows. A client that
 * stops reading is dropped (SseStream.afterRead).
 */
export class OperationFeed {
  private seq = 0;
  private rank = -1;
  private behind = false;
  private skipped = 0;
  /** The newest state not sent yet: while behind, only the last one matters. */
  private held: OperationDto | null = null;

  constructor(
    private readonly stream: SseStream,
    private readonly operationId: number,
  ) {}

  state(operation: OperationDto): void {
    // Changes that committed before the state read first may still arrive: never a step back.
    if (RANK[operation.status] < this.rank) return;
    this.rank = RANK[operation.status];
    this.held = operation;
    this.flush();
  }

  output(line: string): void {
    if (this.behind || !this.offer('output', { line })) {
      this.skipped += 1;
      this.wait();
    }
  }

  /** Sends what waits, in order: how many lines were missed, then the newest state. */
  private flush(): void {
    if (this.behind) return;
    if (this.skipped > 0) {
      const n = this.skipped;
      const message = `${n} line${n === 1 ? '' : 's'} of output not sent: this client read more slowly than they were printed (the release's log keeps the last 64 KiB)`;
      if (!this.offer('gap', { skipped: n, message })) return this.wait();
      this.skipped = 0;
    }
    const operation = this.held;
    if (!operation) return;
    if (!this.offer('operation', operation)) return this.wait();
    this.held = null;
    if (ended(operation)) this.stream.close();
  }

  private wait(): void {
    if (this.behind || !this.stream.open) return;
    this.behind = true;
    this.stream.afterRead(() => {
      this.behind = false;
      this.flush();
    });
  }

  private offer(event: string, data: unknown): boolean {
    if (!this.stream.offer(frame(event, data, `${this.operationId}-${this.seq + 1}`))) return false;
    this.seq += 1;
    return true;
  }
}
