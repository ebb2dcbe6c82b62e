/** Thrown by WorkGate.run() when both the running slots and the queue are full. */
export class GateFullError extends Error {
  constructor(readonly gate: string) {
    super(`${gate}: too much work at once`);
  }
}

/**
 * At most `concurrency` tasks at once and at most `queue` waiting; anything beyond is refused at
 * once instead of waiting. A burst then costs its senders a fast refusal, not everyone a long wait.
 */
export class WorkGate {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    readonly name: string,
    private readonly concurrency: number,
    private readonly queue: number,
  ) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.concurrency) {
      if (this.waiting.length >= this.queue) throw new GateFullError(this.name);
      // The slot is handed over by release(), so `running` never dips and lets a newcomer jump the queue.
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running += 1;
    }
    try {
      return await task();
    } finally {
      this.release();
    }
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.running -= 1;
  }
}
