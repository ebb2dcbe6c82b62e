import type { SecretMask } from '../common/redact/secret-mask.js';
import type { ContainerDriver, ContainerLogLine } from '../containers/container-driver.js';
import type { LogEntry, LogStore } from './log-store.js';

/** Lines stored at once: a burst is written in batches, and reading waits while one is written. */
const BATCH = 500;
const TAG = '{"berth-log":1,';
const PROCESS_NAME = /^[A-Za-z0-9_.:@-]{1,128}$/;

/**
 * A line of the container's output as a log entry: the runtime's berth-log listener tags each
 * program's line with its name and stream (docker/runtimes/runtime-base/berth-log); anything
 * else is the container's own output. `continues`: the listener cut the program's line there (it
 * was very long, or printed in parts with a pause between), and the next entry of the same
 * program and stream goes on with it.
 */
export function toLogEntry(line: ContainerLogLine): LogEntry & { continues?: boolean } {
  if (line.text.startsWith(TAG)) {
    try {
      const tagged = JSON.parse(line.text) as { p?: unknown; s?: unknown; m?: unknown; c?: unknown };
      if (typeof tagged.p === 'string' && PROCESS_NAME.test(tagged.p) && typeof tagged.m === 'string') {
        const entry = { timestamp: line.time, process: tagged.p, stream: tagged.s === 'stderr' ? 'stderr' : 'stdout', message: tagged.m } as const;
        return tagged.c === 1 ? { ...entry, continues: true } : entry;
      }
    } catch {
      // Not the listener's after all: kept as the container's own line.
    }
  }
  return { timestamp: line.time, process: 'container', stream: line.stream, message: line.text };
}

/**
 * Copies the container's output after the app's cursor into the store, following it while it
 * runs when `follow` is set. Safe beside another copier of the same app: the store keeps each
 * line once. Lines are written in small batches as they come, so a follower sees them at once.
 * Every member of the company reads the log, viewers too, while the app's secrets are sealed from
 * them: what its programs print of them is masked before it is stored (`mask`, appSecretMask).
 */
export async function copyLogs(driver: ContainerDriver, store: LogStore, appId: number, mask: SecretMask, follow: boolean, signal: AbortSignal): Promise<void> {
  const since = await store.cursor(appId);
  let batch: LogEntry[] = [];
  // Writes go one after the other; after a failed one nothing more is written (the cursor stays
  // before the lost batch, so the next copy starts there again) and the copy ends with the error.
  let writing: Promise<void> = Promise.resolve();
  let failure: unknown = null;
  const flush = async () => {
    const lines = batch;
    batch = [];
    writing = writing.then(async () => {
      if (failure === null && lines.length > 0) await store.append(appId, lines);
    }).catch((err: unknown) => {
      failure ??= err;
    });
    await writing;
    if (failure !== null) throw failure;
  };
  let scheduled = false;
  // The programs and streams whose last line was cut: a secret across the cut is masked in both pieces.
  const cut = new Set<string>();
  for await (const line of driver.logs(appId, { since, follow, signal })) {
    if (failure !== null) throw failure;
    if (since !== undefined && line.time <= since) continue;
    const { continues, ...entry } = toLogEntry(line);
    const key = `${entry.stream} ${entry.process}`;
    entry.message = mask.applyPiece(entry.message, cut.has(key), continues === true);
    if (continues) cut.add(key);
    else cut.delete(key);
    batch.push(entry);
    if (batch.length >= BATCH) await flush();
    else if (!scheduled) {
      // Lines that arrive together are stored together: after this turn of reading, not per line.
      scheduled = true;
      setImmediate(() => {
        scheduled = false;
        flush().catch(() => undefined);
      });
    }
  }
  await flush();
}
