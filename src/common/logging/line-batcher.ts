/** What the batcher needs of sonic-boom (pino.destination()): the writer to the file descriptor. */
export interface LineSink {
  write(chunk: string): boolean;
  flush(cb?: (err?: Error) => void): void;
  flushSync(): void;
}

/**
 * pino's destination for a busy process: collects whole lines and hands sonic-boom one joined
 * string per batch (about batchChars characters, or what came within flushEveryMs).
 *
 * sonic-boom appends each write to its last pending string and takes that string's UTF-8 length
 * again on every write, which flattens the growing concatenation: with one line per API request
 * that copied up to 4 KiB and left it as garbage on every request. A list of lines joined once per
 * batch costs one copy per line. Lines stay whole and in order; flush() and flushSync() pass the
 * batch on first; when the event loop runs dry, and when the process exits, the batch goes out
 * ahead of any hooks pino keeps on sonic-boom.
 */
export class LineBatcher {
  private lines: string[] = [];
  private chars = 0;
  private readonly timer: NodeJS.Timeout;
  // The loop ran dry: pass the lines on while sonic-boom still takes them (pino ends it then).
  private readonly onBeforeExit = (): void => this.pass();
  private readonly onExit = (): void => {
    try {
      this.flushSync();
    } catch {
      // Nothing more can be done about a log that cannot be written.
    }
  };

  constructor(
    private readonly sink: LineSink,
    private readonly batchChars: number,
    flushEveryMs: number,
  ) {
    this.timer = setInterval(() => this.pass(), flushEveryMs).unref();
    // Ahead of pino's own hooks, which flush sonic-boom (and end it, when the loop runs dry).
    process.prependListener('beforeExit', this.onBeforeExit);
    process.prependListener('exit', this.onExit);
  }

  write(line: string): boolean {
    this.lines.push(line);
    this.chars += line.length;
    if (this.chars >= this.batchChars) this.pass();
    return true;
  }

  flush(cb?: (err?: Error) => void): void {
    this.pass();
    this.sink.flush(cb);
  }

  flushSync(): void {
    this.pass();
    this.sink.flushSync();
  }

  /** Stops the timer and the process hooks (after a last flushSync()); for tests. */
  close(): void {
    clearInterval(this.timer);
    process.off('beforeExit', this.onBeforeExit);
    process.off('exit', this.onExit);
    this.flushSync();
  }

  private pass(): void {
    if (this.lines.length === 0) return;
    const batch = this.lines.join('');
    this.lines = [];
    this.chars = 0;
    this.sink.write(batch);
  }
}
