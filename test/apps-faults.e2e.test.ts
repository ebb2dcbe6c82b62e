// Apps when things break: Docker unreachable, a worker killed in the middle of provisioning.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { containersOf, dockerEnv, eventually, inspect, removeInstallation } from './support/docker.js';
import { client, Client, register, waitForOperation } from './support/http.js';
import { BerthProcess, removeKeys, startBerth } from './support/server.js';
import { createTestDatabase, REDIS_URL, TestDatabase } from './support/services.js';

const IMAGE = 'berth/runtime:2026.11-1';
const NO_DOCKER = 'unix:///tmp/berth-test-no-docker.sock';

let db: TestDatabase;
let env: Record<string, string>;
let api: BerthProcess;
let http: Client;
const workers: BerthProcess[] = [];
let owner: Awaited<ReturnType<typeof register>>;
let plan: number;

const worker = async (extra: Record<string, string> = {}) => {
  const process = await startBerth({ ...env, BERTH_ROLES: 'worker', ...extra });
  workers.push(process);
  return process;
};

beforeAll(async () => {
  db = await createTestDatabase('appfaults');
  // One queue prefix for the API and the workers: they are one installation.
  env = { ...dockerEnv(), DATABASE_URL: db.url, QUEUE_PREFIX: `berth-test-${db.name}`, JOB_BACKOFF_MS: '100', JOB_ATTEMPTS: '3', JOB_LOCK_MS: '2000', SWEEP_INTERVAL_MS: '1000' };
  api = await startBerth({ ...env, BERTH_ROLES: 'api' });
  http = client(api.url);
  owner = await register(http, 'Faulty Co');
  plan = (await http.get(`/${owner.company.id}/plans/`, { token: owner.token })).body[0].id;
});

afterAll(async () => {
  for (const process of [api, ...workers]) await process?.stop();
  if (env) await removeInstallation(env.DOCKER_NAME_PREFIX);
  // The prefix is this file's own, shared by its processes: its keys go with them.
  if (env) await removeKeys(REDIS_URL, env.QUEUE_PREFIX);
  await db?.drop();
});

describe('Docker engine unreachable', () => {
  it('answers 503 to changes from an API that cannot reach it, and records nothing', async () => {
    const blind = await startBerth({ ...env, BERTH_ROLES: 'api', DOCKER_HOST: NO_DOCKER });
    try {
      const answer = await client(blind.url).post(`/${owner.company.id}/apps/`, { token: owner.token, body: { name: 'blind', image: IMAGE, plan } });
      expect(answer.status, answer.text).toBe(503);
      expect(answer.body).toMatchObject({ code: 'unavailable' });
      expect(answer.body.message).toMatch(/Docker/);
      expect(answer.text).not.toMatch(/ENOENT|\/tmp\//);
    } finally {
      await blind.stop();
    }
    expect((await http.get(`/${owner.company.id}/apps/`, { token: owner.token })).body).toEqual([]);
    expect((await db.query('SELECT count(*)::int AS n FROM operations')).rows[0].n).toBe(0);
  });

  it('ends the operation in error with the reason after its retries, and heals once a worker reaches Docker', async () => {
    const blind = await worker({ DOCKER_HOST: NO_DOCKER });
    const created = await http.post(`/${owner.company.id}/apps/`, { token: owner.token, body: { name: 'later', image: IMAGE, plan } });
    expect(created.status, created.text).toBe(200);
    const op = await waitForOperation(http, owner.token, owner.company.id, created.body.operation_id,);
    expect(op.status).toBe('error');
    expect(op.message).toMatch(/failed after 3 tries: .*Docker engine is unavailable/);
    const read = await http.get(`/${owner.company.id}/apps/${created.body.id}/`, { token: owner.token });
    expect(read.body).toMatchObject({ status: 'error' });
    expect(read.body.status_message).toMatch(/Docker engine is unavailable/);
    await blind.stop();

    await worker();
    const name = `${env.DOCKER_NAME_PREFIX}-app-${created.body.id}`;
    await eventually('the sweep provisions the app', async () => (await inspect(name))?.State.Running);
    await eventually('the app reads as running', async () => (await http.get(`/${owner.company.id}/apps/${created.body.id}/`, { token: owner.token })).body.status === 'running');
    await workers.pop()!.stop();
  });
});

describe('failures retrying cannot fix', () => {
  it('ends the operation after one try when the runtime image is not on the Docker host', async () => {
    // In the catalog, but never built here: no registry could supply it either.
    await db.query(`INSERT INTO runtimes (image, name, show, techs) VALUES ('berth/never-built:1', 'Never built', true, '{}')`);
    await worker();
    const created = await http.post(`/${owner.company.id}/apps/`, { token: owner.token, body: { name: 'imageless', image: 'berth/never-built:1', plan } });
    expect(created.status, created.text).toBe(200);
    const op = await waitForOperation(http, owner.token, owner.company.id, created.body.operation_id);
    expect(op.status).toBe('error');
    expect(op.message).toMatch(/^failed after 1 try: image berth\/never-built:1 is not on the Docker host/);
    const gone = await http.delete(`/${owner.company.id}/apps/${created.body.id}/`, { token: owner.token });
    expect((await waitForOperation(http, owner.token, owner.company.id, gone.body.operation_id)).status).toBe('success');
    await workers.pop()!.stop();
  });
});

describe('a worker killed with SIGKILL while provisioning', () => {
  it('leaves the app to converge after restart: one container, no orphans, the operation succeeds', async () => {
    const first = await worker();
    const created = await http.post(`/${owner.company.id}/apps/`, { token: owner.token, body: { name: 'killed', image: IMAGE, plan } });
    expect(created.status).toBe(200);
    const opUrl = `/${owner.company.id}/operations/${created.body.operation_id}/`;
    const name = `${env.DOCKER_NAME_PREFIX}-app-${created.body.id}`;
    // Killed after its container exists but before the operation is recorded as done: the worst moment.
    const until = Date.now() + 15_000;
    while (!(await inspect(name))) {
      if (Date.now() > until) throw new Error('the worker never created the container');
      await new Promise((r) => setTimeout(r, 20));
    }
    first.process.kill('SIGKILL');
    await new Promise((r) => first.process.once('exit', r));
    expect((await http.get(opUrl, { token: owner.token })).body.status).toBe('running');

    await worker();
    const op = await waitForOperation(http, owner.token, owner.company.id, created.body.operation_id);
    expect(op.status, op.message).toBe('success');
    expect((await inspect(name)).State.Running).toBe(true);
    // Exactly the apps of this installation, one container each: nothing duplicated or left over.
    const apps = (await http.get(`/${owner.company.id}/apps/`, { token: owner.token })).body;
    expect((await containersOf(env.DOCKER_NAME_PREFIX)).sort()).toEqual(apps.map((a: any) => `${env.DOCKER_NAME_PREFIX}-app-${a.id}`).sort());
  });
});
