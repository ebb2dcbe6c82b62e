import type Docker from 'dockerode';
import type { ContainerSample } from '../container-driver.js';
import { isNotFound } from './docker-errors.js';

/** The part of the engine's stats answer Berth reads. */
export interface EngineStats {
  read?: string;
  cpu_stats?: { cpu_usage?: { total_usage?: number }; online_cpus?: number };
  memory_stats?: { usage?: number; limit?: number; stats?: Record<string, number> };
  networks?: Record<string, { rx_bytes?: number; tx_bytes?: number }>;
}

// One reading, no stream: without one-shot the engine waits for a second reading (to fill precpu_stats).
// It still answers from its next collection round, which comes once a second.
const ONE_SHOT = { stream: false, 'one-shot': true } as never;

export async function readStats(container: Docker.Container): Promise<EngineStats> {
  return (await container.stats(ONE_SHOT)) as unknown as EngineStats;
}

/** What `docker stats` shows: page cache the kernel can drop is not the app's. */
export function memoryUsedBytes(stats: EngineStats): number {
  const memory = stats.memory_stats ?? {};
  const cache = memory.stats?.inactive_file ?? memory.stats?.total_inactive_file ?? memory.stats?.cache ?? 0;
  return Math.max(0, (memory.usage ?? 0) - cache);
}

/**
 * Reads a container's counters: one inspect (quota, restarts, identity) and one stats call,
 * side by side. Nothing runs inside the container. Null when it is not running or not there.
 */
export async function readSample(container: Docker.Container, srvUsedBytes: () => Promise<number | null>): Promise<ContainerSample | null> {
  let info: Docker.ContainerInspectInfo;
  let stats: EngineStats;
  let srv: number | null;
  try {
    [info, stats, srv] = await Promise.all([container.inspect(), readStats(container), srvUsedBytes().catch(() => null)]);
  } catch (err) {
    if (isNotFound(err)) return null;
    throw err;
  }
  if (!info.State.Running || !stats.read) return null;
  const host = info.HostConfig as { NanoCpus?: number; CpuQuota?: number; CpuPeriod?: number };
  const quotaCores = host.NanoCpus ? host.NanoCpus / 1e9 : host.CpuQuota && host.CpuPeriod ? host.CpuQuota / host.CpuPeriod : 0;
  let rx = 0;
  let tx = 0;
  for (const net of Object.values(stats.networks ?? {})) {
    rx += net.rx_bytes ?? 0;
    tx += net.tx_bytes ?? 0;
  }
  return {
    readAt: new Date(stats.read),
    // The engine makes a new cgroup on every start: its counters start again from zero.
    instance: `${info.Id}@${info.State.StartedAt}`,
    containerId: info.Id,
    cpuNs: stats.cpu_stats?.cpu_usage?.total_usage ?? 0,
    cpuCores: quotaCores || stats.cpu_stats?.online_cpus || 1,
    memoryUsedBytes: memoryUsedBytes(stats),
    memoryLimitBytes: stats.memory_stats?.limit ?? 0,
    netRxBytes: rx,
    netTxBytes: tx,
    restartCount: info.RestartCount ?? 0,
    srvUsedBytes: srv,
  };
}
