import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from './support/server.js';
import { createTestDatabase, REDIS_URL, TestDatabase } from './support/services.js';

const run = promisify(execFile);
let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase('migrations');
});
afterAll(async () => {
  await db?.drop();
});

const berth = (...args: string[]) =>
  run(process.execPath, ['dist/src/cli/berth.js', ...args], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', DATABASE_URL: db.url, REDIS_URL } });

describe('migrations', () => {
  it('build the whole schema on an empty database, and the entities agree with them', async () => {
    const first = await berth('migrate');
    expect(first.stdout).toMatch(/applied: .*Foundation/);
    const again = await berth('migrate');
    expect(again.stdout).toMatch(/up to date/);
    const check = await berth('migrate:check');
    expect(check.stdout).toMatch(/agree/);
  });

  it('detect drift: a schema that differs from the entities fails the check', async () => {
    await db.query('ALTER TABLE companies ADD COLUMN stray text');
    const result = await berth('migrate:check').catch((err) => err);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/disagree[\s\S]*stray/);
    await db.query('ALTER TABLE companies DROP COLUMN stray');
    expect((await berth('migrate:check')).stdout).toMatch(/agree/);
  });

  it('seed the catalogs as rows: five plans, runtimes with exactly one default enforced by the database', async () => {
    const plans = await db.query('SELECT name, ram, cpu_quota, disk FROM plans ORDER BY id');
    expect(plans.rows).toEqual([
      { name: 'Mini', ram: 128, cpu_quota: 25, disk: 1 },
      { name: 'Start+', ram: 512, cpu_quota: 50, disk: 10 },
      { name: 'Normal+', ram: 2048, cpu_quota: 200, disk: 25 },
      { name: 'Pro+', ram: 4096, cpu_quota: 200, disk: 50 },
      { name: 'Business+', ram: 8192, cpu_quota: 400, disk: 100 },
    ]);
    const defaults = await db.query('SELECT image FROM runtimes WHERE "default"');
    expect(defaults.rows).toHaveLength(1);
    await expect(db.query(`INSERT INTO runtimes (image, name, "default") VALUES ('x/y:1', 'x', true)`)).rejects.toThrow(/runtimes_single_default/);
  });

  it('never synchronize: no table appears without a migration', async () => {
    const tables = await db.query(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`);
    expect(tables.rows.map((r) => r.tablename)).toEqual(['accounts', 'api_tokens', 'app_bindings', 'app_config_vars', 'app_config_versions', 'app_domains', 'app_metric_buckets', 'app_metric_samples', 'apps', 'certificates', 'companies', 'domain_verifications', 'events', 'invitations', 'memberships', 'operations', 'plans', 'release_archive_chunks', 'release_archives', 'releases', 'runtimes', 'ssh_host_keys', 'storages', 'typeorm_migrations']);
  });
});
