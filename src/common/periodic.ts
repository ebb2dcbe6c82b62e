/** A repeating task: each run starts `everyMs` after the previous one ended, so runs never overlap. */
export interface Periodic {
  stop(): void;
}

/**
 * Runs `task` after `firstMs`, then `everyMs` after each run ends. A failed run
 * goes to `onError` and the next one still comes. Timers do not keep the process alive.
 */
export function every(everyMs: number, task: () => Promise<unknown>, onError: (err: Error) => void, firstMs = everyMs): Periodic {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const schedule = (ms: number) => {
    if (stopped) return;
    timer = setTimeout(run, ms);
    timer.unref();
  };
  const run = () => {
    void Promise.resolve()
      .then(task)
      .catch(onError)
      .finally(() => schedule(everyMs));
  };
  schedule(firstMs);
  return {
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
