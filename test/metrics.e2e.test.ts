// Apps' metrics over a real app: the worker samples its container (Docker stats, the /srv
// filesystem's own counters), the API answers aligned series from full-resolution readings or
// from their buckets, and apps-status shows the CPU figure. An app that burns CPU shows near
// its plan's quota; one that fills its memory shows near its limit.
import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { docker, eventually } from './support/docker.js';
import { useBerth } from './support/fixture.js';
import { register, waitForOperation } from './support/http.js';
import { startBerth } from './support/server.js';
import { loadConfig } from '../dist/src/config/config.js';
import { MetricsWriter } from '../dist/src/metrics/metrics-writer.js';

const INTERVAL_MS = 500;
// Debug: each tick logs what it did and how long it took. The queue prefix is given so a second
// worker can share the sampler's lease.
const fx = useBerth('metrics', {
  BERTH_ROLES: 'api,worker',
  METRICS_INTERVAL_MS: String(INTERVAL_MS),
  JOB_BACKOFF_MS: '200',
  LOG_LEVEL: 'debug',
  QUEUE_PREFIX: `berth-test-${randomBytes(4).toString('hex')}`,
});
const MiB = 1024 * 1024;

let owner: Awaited<ReturnType<typeof register>>;
let plan: { id: number; ram: number; cpu_quota: number };
let appId = 0;
let container = '';

const metrics = (query = '', who = owner, companyId = owner.company.id) => fx.api.get(`/${companyId}/apps/${appId}/metrics/${query}`, { token: who.token });
const lastValue = (series: (number | null)[]) => [...series].reverse().find((v) => v !== null) ?? null;
const iso = (ms: number) => new Date(ms).toISOString();

beforeAll(async () => {
  owner = await register(fx.api, 'Metrics Co');
  const plans = (await fx.api.get(`/${owner.company.id}/plans/`, { token: owner.token })).body;
  // The smallest plan: a quarter of a core and 128 MB, which one busy loop and a little data fill.
  plan = plans.sort((a: { ram: number }, b: { ram: number }) => a.ram - b.ram)[0];
  const created = await fx.api.post(`/${owner.company.id}/apps/`, { token: owner.token, body: { name: 'busy', image: 'berth/runtime:2026.11-1', plan: plan.id } });
  expect(created.status, created.text).toBe(200);
  expect((await waitForOperation(fx.api, owner.token, owner.company.id, created.body.operation_id)).status).toBe('success');
  appId = created.body.id;
  container = `${fx.env.DOCKER_NAME_PREFIX}-app-${appId}`;
  // As the tenant would: a supervisor program of the app's own that spins, and data in the
  // in-memory scratch space (/tmp, /var/tmp), which the plan's memory limit counts.
  const program = '[program:burn]\\ncommand=sh -c "while :; do :; done"\\nautostart=true\\nautorestart=true\\n';
  await docker('exec', container, 'sh', '-c', `printf '${program}' > /srv/conf/supervisor.d/burn.conf && supervisorctl reread && supervisorctl update`);
  await docker('exec', container, 'sh', '-c', 'head -c 56M /dev/zero > /tmp/fill && head -c 12M /dev/zero > /var/tmp/fill');
});

describe('app metrics', () => {
  it('show a CPU-burning app near its plan quota and memory near its limit', async () => {
    const since = iso(Date.now() - 60_000);
    const answer = await eventually(
      'the burning app shows in its metrics',
      async () => {
        const got = await metrics(`?since=${since}&step=1`);
        const [cpu, memory, limit] = [got.body.cpu_percent, got.body.memory_used_bytes, got.body.memory_limit_bytes].map(lastValue);
        return got.status === 200 && cpu !== null && cpu > 70 && memory !== null && memory > 0.7 * limit! ? got : null;
      },
      30_000,
    );
    const body = answer.body;
    expect(body.step).toBe(1);
    expect(body.timestamps.length).toBe(body.cpu_percent.length);
    expect(Date.parse(body.timestamps[1]) - Date.parse(body.timestamps[0])).toBe(1000);
    expect(Date.parse(body.since) % 1000).toBe(0);
    for (const key of ['memory_used_bytes', 'memory_limit_bytes', 'net_rx_bytes_per_second', 'net_tx_bytes_per_second', 'srv_used_bytes', 'restarts']) {
      expect(body[key], key).toHaveLength(body.timestamps.length);
    }
    expect(lastValue(body.cpu_percent)).toBeLessThan(130);
    const limit = lastValue(body.memory_limit_bytes)!;
    expect(limit).toBe(plan.ram * MiB);
    expect(lastValue(body.memory_used_bytes)!).toBeLessThanOrEqual(limit);
    // /srv is a quota'd filesystem here (DISK_QUOTA=loop): read from the filesystem's own counters.
    expect(lastValue(body.srv_used_bytes)!).toBeGreaterThan(0);
    expect(lastValue(body.net_rx_bytes_per_second)).toBeGreaterThanOrEqual(0);
    expect(lastValue(body.restarts)).toBe(0);
    // Before the app existed there was nothing: holes are null, not zero.
    expect(body.cpu_percent[0]).toBeNull();
  });

  it('gives apps-status the current CPU figure beside the fields Rosti clients read', async () => {
    // The figure of one moment: on a busy machine the burning app can dip below its share for a while.
    const status = await eventually(
      'apps-status shows the burning app',
      async () => {
        const got = await fx.api.get(`/${owner.company.id}/apps-status/${appId}/`, { token: owner.token });
        return got.status === 200 && got.body.cpu?.usage > 70 ? got : null;
      },
      30_000,
    );
    expect(status.body.cpu.limit).toBe(100);
    expect(status.body.info.join('\n')).toMatch(new RegExp(`cpu: \\d+(\\.\\d)?% of the plan's ${plan.cpu_quota / 100} cores`));
    expect(status.body.memory.usage).toBeGreaterThan(0.7 * plan.ram);
    expect(Object.keys(status.body)).toEqual(expect.arrayContaining(['running', 'http_status', 'dns_status', 'errors', 'info', 'memory', 'storage', 'primary_tech', 'techs']));
  });

  it('adds every reading into its bucket, and answers from buckets for ranges past the full resolution', async () => {
    // One snapshot of both tables: the sampler writes a reading and its bucket in one statement.
    const [check] = (
      await fx.db.query(
        `SELECT (SELECT count(*) FROM app_metric_samples WHERE app_id = $1)::int AS samples,
                (SELECT sum(samples) FROM app_metric_buckets WHERE app_id = $1)::int AS bucketed,
                (SELECT sum(cpu_percent) FROM app_metric_samples WHERE app_id = $1) AS cpu_sum,
                (SELECT sum(cpu_sum) FROM app_metric_buckets WHERE app_id = $1) AS bucket_cpu_sum`,
        [appId],
      )
    ).rows;
    expect(check.samples).toBeGreaterThan(3);
    expect(check.bucketed).toBe(check.samples);
    expect(check.bucket_cpu_sum).toBeCloseTo(check.cpu_sum, 0);
    const week = await metrics(`?since=${iso(Date.now() - 7 * 86_400_000)}`);
    expect(week.status, week.text).toBe(200);
    expect(week.body.step % 300).toBe(0);
    expect(week.body.timestamps.length).toBeLessThanOrEqual(361);
    expect(lastValue(week.body.cpu_percent)).toBeGreaterThan(0);
    expect(lastValue(week.body.memory_limit_bytes)).toBe(plan.ram * MiB);
    expect(week.body.cpu_percent.filter((v: number | null) => v !== null).length).toBeLessThanOrEqual(2);
  });

  it('names the field of a bad query', async () => {
    const cases: [string, string][] = [
      ['?since=yesterday', 'since'],
      ['?until=2026-13-01T00:00:00Z', 'until'],
      ['?step=0.5', 'step'],
      ['?step=0', 'step'],
      [`?since=${iso(Date.now())}&until=${iso(Date.now() - 60_000)}`, 'since'],
      [`?since=${iso(Date.now() - 2 * 86_400_000)}&step=60`, 'step'],
      [`?since=${iso(Date.now() - 60 * 86_400_000)}&step=300`, 'step'],
      ['?colour=red', 'colour'],
    ];
    for (const [query, field] of cases) {
      const answer = await metrics(query);
      expect(answer.status, query).toBe(400);
      expect(answer.body.code).toBe('validation_error');
      expect(Object.keys(answer.body.errors), query).toEqual([field]);
    }
  });

  it('keeps readings for METRICS_FULL_RETENTION_SECONDS and buckets for METRICS_BUCKET_RETENTION_SECONDS', async () => {
    const ago = (days: number) => new Date(Date.now() - days * 86_400_000);
    const sample = `INSERT INTO app_metric_samples (app_id, at, memory_used_bytes, memory_limit_bytes) VALUES ($1, $2, 1, 1)`;
    const bucket = `INSERT INTO app_metric_buckets (app_id, bucket_start, samples) VALUES ($1, $2, 1)`;
    for (const days of [1.1, 0.9]) await fx.db.query(sample, [appId, ago(days)]);
    for (const days of [31, 29]) await fx.db.query(bucket, [appId, ago(days)]);
    // The worker's own writer, on this database: what its sampler runs every few minutes.
    const config = loadConfig({ DATABASE_URL: fx.db.url });
    await new MetricsWriter({ query: (sql: string, params: unknown[]) => fx.db.query(sql, params) } as never, config).prune(Date.now());
    const kept = await fx.db.query(
      `SELECT (SELECT count(*) FROM app_metric_samples WHERE app_id = $1 AND at < now() - interval '1 day')::int AS old_samples,
              (SELECT count(*) FROM app_metric_buckets WHERE app_id = $1 AND bucket_start < now() - interval '30 days')::int AS old_buckets,
              (SELECT count(*) FROM app_metric_samples WHERE app_id = $1 AND at BETWEEN now() - interval '22 hours' AND now() - interval '21 hours')::int AS day_sample,
              (SELECT count(*) FROM app_metric_buckets WHERE app_id = $1 AND bucket_start BETWEEN now() - interval '29.5 days' AND now() - interval '28.5 days')::int AS month_bucket`,
      [appId],
    );
    expect(kept.rows[0]).toEqual({ old_samples: 0, old_buckets: 0, day_sample: 1, month_bucket: 1 });
  });

  it("is another company's 404, for its members and for this company's path alike", async () => {
    const other = await register(fx.api, 'Other Co');
    expect((await metrics('', other, other.company.id)).status).toBe(404);
    expect((await metrics('', other)).status).toBe(404);
    expect((await fx.api.get(`/${owner.company.id}/apps/999999/metrics/`, { token: owner.token })).status).toBe(404);
  });

  it('goes with its app', async () => {
    const deleted = await fx.api.delete(`/${owner.company.id}/apps/${appId}/`, { token: owner.token });
    expect(deleted.status, deleted.text).toBe(200);
    expect((await waitForOperation(fx.api, owner.token, owner.company.id, deleted.body.operation_id)).status).toBe('success');
    const left = await fx.db.query('SELECT (SELECT count(*) FROM app_metric_samples WHERE app_id = $1)::int + (SELECT count(*) FROM app_metric_buckets WHERE app_id = $1)::int AS n', [appId]);
    expect(left.rows[0].n).toBe(0);
  });

  it('logs each tick with its duration and CPU time, for measuring the sampler', async () => {
    const logs = await fx.berth.waitForLog(/"msg":"metrics tick"/, 5000);
    const tick = JSON.parse(logs.split('\n').filter((l) => l.includes('"msg":"metrics tick"')).pop()!);
    expect(tick).toMatchObject({ context: 'metrics-sampler', failed: 0 });
    for (const key of ['apps', 'written', 'durationMs', 'cpuMs']) expect(typeof tick[key], key).toBe('number');
  });

  it('has one sampler across worker processes, and another takes over when it stops', async () => {
    const second = await startBerth({ ...fx.env, BERTH_ROLES: 'worker' });
    try {
      await new Promise((r) => setTimeout(r, 4 * INTERVAL_MS));
      expect(second.logs()).not.toMatch(/"msg":"metrics tick"/);
      await fx.berth.stop();
      await second.waitForLog(/"msg":"metrics tick"/, 10 * INTERVAL_MS);
    } finally {
      await second.stop();
    }
  });
});
