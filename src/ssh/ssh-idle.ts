/** Marks channel traffic on a connection; see idleWatch(). */
export type Touch = () => void;

/**
 * Calls `onIdle` once no `touch()` came for `ms`. Traffic only records the time (it
 * comes in every chunk of a transfer); the one timer looks again when it fires and
 * sleeps for what is left. Keepalives are not channel traffic and do not touch.
 */
export function idleWatch(ms: number, onIdle: () => void): { touch: Touch; stop(): void } {
  let last = Date.now();
  let timer: NodeJS.Timeout;
  const look = () => {
    const quiet = Date.now() - last;
    if (quiet >= ms) return onIdle();
    timer = setTimeout(look, ms - quiet);
    timer.unref();
  };
  timer = setTimeout(look, ms);
  timer.unref();
  return {
    touch: () => {
      last = Date.now();
    },
    stop: () => clearTimeout(timer),
  };
}
