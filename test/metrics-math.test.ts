// The metrics' arithmetic without Docker or PostgreSQL: rates from two readings of a container
// (CPU as a share of its quota, only within one run of it) and how a query's range and step
// become aligned points. metrics.e2e.test.ts checks the same over a real app.
import { describe, expect, it } from 'vitest';
import type { ContainerSample } from '../src/containers/container-driver.js';
import type { MetricsConfig } from '../src/config/observability-config.js';
import { metricRow } from '../src/metrics/metric-rates.js';
import { MAX_POINTS, parseStep, resolveRange } from '../src/metrics/metrics-range.js';

const reading = (over: Partial<ContainerSample> = {}): ContainerSample => ({
  readAt: new Date('2026-11-22T10:00:00Z'),
  instance: 'c1@start1',
  containerId: 'c1',
  cpuNs: 0,
  cpuCores: 0.25,
  memoryUsedBytes: 100,
  memoryLimitBytes: 128,
  netRxBytes: 1000,
  netTxBytes: 500,
  restartCount: 2,
  srvUsedBytes: 4096,
  ...over,
});
const later = (seconds: number, over: Partial<ContainerSample>) => reading({ readAt: new Date(Date.parse('2026-11-22T10:00:00Z') + seconds * 1000), ...over });

describe('metric rows', () => {
  it('give CPU as percent of the quota: a quarter core used for 15 s of a 0.25-core plan is 100', () => {
    const row = metricRow(7, later(15, { cpuNs: 0.25 * 15e9, netRxBytes: 4000, netTxBytes: 2000 }), reading());
    expect(row).toEqual({ appId: 7, cpuPercent: 100, memoryUsedBytes: 100, memoryLimitBytes: 128, netRxBytesPerSecond: 200, netTxBytesPerSecond: 100, srvUsedBytes: 4096, restarts: 0 });
    expect(metricRow(7, later(10, { cpuNs: 0.5e9, cpuCores: 2 }), reading()).cpuPercent).toBe(2.5);
  });

  it('have no rates for a first reading, or across a restart whose counters began again', () => {
    const first = metricRow(7, reading({ cpuNs: 5e9 }), undefined);
    expect([first.cpuPercent, first.netRxBytesPerSecond, first.restarts]).toEqual([null, null, null]);
    expect(first.memoryUsedBytes).toBe(100);
    const restarted = metricRow(7, later(15, { instance: 'c1@start2', cpuNs: 1e9, netRxBytes: 10, restartCount: 3 }), reading({ cpuNs: 9e9 }));
    expect([restarted.cpuPercent, restarted.netRxBytesPerSecond, restarted.restarts]).toEqual([null, null, 1]);
  });

  it('count every restart of a new container as new, and never a negative rate', () => {
    expect(metricRow(7, later(15, { instance: 'c2@s', containerId: 'c2', restartCount: 1 }), reading({ restartCount: 5 })).restarts).toBe(1);
    const backwards = metricRow(7, later(15, { cpuNs: 1e9, netRxBytes: 0 }), reading({ cpuNs: 2e9 }));
    expect([backwards.cpuPercent, backwards.netRxBytesPerSecond]).toEqual([null, null]);
  });
});

describe('metrics ranges', () => {
  const config: MetricsConfig = { intervalMs: 15_000, fullRetentionSeconds: 86_400, bucketSeconds: 300, bucketRetentionSeconds: 30 * 86_400 };
  const now = Date.parse('2026-11-22T12:00:07Z');
  const field = (fn: () => unknown) => {
    try {
      fn();
    } catch (err) {
      return (err as { errors: Record<string, string[]> }).errors;
    }
    throw new Error('no error');
  };

  it('default to the last hour in steps of the interval, aligned to multiples of the step', () => {
    const range = resolveRange({}, config, now);
    expect(range).toMatchObject({ step: 15, source: 'samples' });
    expect(range.startS % 15).toBe(0);
    expect(range.startS).toBeLessThanOrEqual((now - 3_600_000) / 1000);
    expect(range.points).toBe(241);
  });

  it('pick a step for about 360 points, and buckets for a range older than the full resolution', () => {
    const day = resolveRange({ since: '2026-11-21T12:00:30Z' }, config, now);
    expect(day).toMatchObject({ source: 'samples', step: 240 });
    const week = resolveRange({ since: '2026-11-15T12:00:00Z', until: '2026-11-22T12:00:00Z' }, config, now);
    expect(week).toMatchObject({ source: 'buckets', step: 1800, points: 336 });
    expect(week.startS % 1800).toBe(0);
  });

  it('take steps as seconds or durations, rounded up to whole buckets where buckets answer', () => {
    expect([parseStep('90'), parseStep('90s'), parseStep('5m'), parseStep('2h'), parseStep('1d')]).toEqual([90, 90, 300, 7200, 86_400]);
    expect(resolveRange({ since: '2026-11-15T12:00:00Z', step: '7m' }, config, now).step).toBe(600);
    expect(resolveRange({ step: '20' }, config, now).step).toBe(20);
  });

  it('refuse, naming the field: since not before until, a step below what is kept, too many points', () => {
    expect(field(() => resolveRange({ since: '2026-11-22T12:00:00Z', until: '2026-11-22T11:00:00Z' }, config, now))).toEqual({ since: ['must be before until'] });
    expect(field(() => resolveRange({ since: '2030-01-01T00:00:00Z' }, config, now))).toEqual({ since: ['must be before until'] });
    expect(field(() => resolveRange({ step: '5' }, config, now)).step[0]).toMatch(/at least 15 s/);
    expect(field(() => resolveRange({ since: '2026-11-01T00:00:00Z', step: '60' }, config, now)).step[0]).toMatch(/at least 300 s/);
    expect(field(() => resolveRange({ since: '2026-10-01T00:00:00Z', step: '300' }, config, now)).step[0]).toMatch(new RegExp(`more than the ${MAX_POINTS}`));
    expect(field(() => parseStep('1w'))).toHaveProperty('step');
  });
});
