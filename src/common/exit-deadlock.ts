import { setFlagsFromString } from 'node:v8';

/**
 * Node 24 can hang for ever on its way out (nodejs/node#54918, #64274): the exiting main thread
 * joins V8's worker threads while one of them, compiling in the background (Maglev, or Sparkplug's
 * concurrent batches), waits for a garbage collection that only the main thread could run. Seen
 * here as an operator command that had done its work and never returned. This turns those two
 * background tiers off, as Node 22 had them (Turbofan still optimizes on its threads): a command
 * calls it when it starts, a server when it begins to stop (its speed until then is untouched),
 * and a job already running finishes while the process closes its connections.
 */
export function stopBackgroundCompilation(): void {
  setFlagsFromString('--no-maglev');
  setFlagsFromString('--no-concurrent-sparkplug');
}
