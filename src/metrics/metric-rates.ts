import type { ContainerSample } from '../containers/container-driver.js';

/** What one tick stores for one app: levels as read, rates from the reading before. */
export interface MetricRow {
  appId: number;
  /** Percent of the container's CPU quota (the plan's) used since the reading before; 100 = all of it. */
  cpuPercent: number | null;
  memoryUsedBytes: number;
  memoryLimitBytes: number;
  netRxBytesPerSecond: number | null;
  netTxBytesPerSecond: number | null;
  srvUsedBytes: number | null;
  /** Restarts of the container by the engine since the reading before; null with none before. */
  restarts: number | null;
}

const round1 = (n: number) => Math.round(n * 10) / 10;

/**
 * One app's row from its reading now and the one before. Rates need both readings to be of
 * the same run of the container (its counters start again from zero on every start) and some
 * time apart; otherwise they are null rather than a guess.
 */
export function metricRow(appId: number, now: ContainerSample, before: ContainerSample | undefined): MetricRow {
  const sameRun = before !== undefined && before.instance === now.instance;
  const seconds = sameRun ? (now.readAt.getTime() - before.readAt.getTime()) / 1000 : 0;
  const rate = (to: number, from: number) => (seconds > 0 && to >= from ? round1((to - from) / seconds) : null);
  const cpuPercent = seconds > 0 && now.cpuNs >= before!.cpuNs ? round1(((now.cpuNs - before!.cpuNs) / (seconds * 1e9 * now.cpuCores)) * 100) : null;
  let restarts: number | null = null;
  if (before !== undefined) {
    // A new container counts from zero: every restart it reports came after the reading before.
    restarts = before.containerId === now.containerId ? Math.max(0, now.restartCount - before.restartCount) : now.restartCount;
  }
  return {
    appId,
    cpuPercent,
    memoryUsedBytes: now.memoryUsedBytes,
    memoryLimitBytes: now.memoryLimitBytes,
    netRxBytesPerSecond: sameRun ? rate(now.netRxBytes, before.netRxBytes) : null,
    netTxBytesPerSecond: sameRun ? rate(now.netTxBytes, before.netTxBytes) : null,
    srvUsedBytes: now.srvUsedBytes,
    restarts,
  };
}
