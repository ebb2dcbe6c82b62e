// Apps over real Docker: provisioned by the worker, observed with the docker CLI and over HTTP.
import { beforeAll, describe, expect, it } from 'vitest';
import { containersOf, describeContainer, docker, eventually, firstOk, inspect, publishedPort } from './support/docker.js';
import { useBerth } from './support/fixture.js';
import { register, waitForOperation } from './support/http.js';

const fx = useBerth('apps', { BERTH_ROLES: 'api,worker', JOB_BACKOFF_MS: '200', SWEEP_INTERVAL_MS: '1000' });
const IMAGE = 'berth/runtime:2026.11-1';

let owner: Awaited<ReturnType<typeof register>>;
let app: any;
let container: string;
const path = (p: string) => `/${owner.company.id}/${p}`;
const prefix = () => fx.env.DOCKER_NAME_PREFIX;

async function change(method: 'PUT' | 'PATCH' | 'DELETE' | 'POST', url: string, body?: unknown) {
  const answer = await fx.api.call(method, url, { token: owner.token, body });
  expect(answer.status, answer.text).toBe(200);
  const op = await waitForOperation(fx.api, owner.token, owner.company.id, answer.body.operation_id);
  expect(op.status, JSON.stringify(op)).toBe('success');
  return { app: answer.body, op };
}

const action = (name: string) => change('PUT', path(`apps-action/${app.id}/`), { action: name });
const volume = () => `${container}-srv`;
const volumeExists = async () => (await docker('volume', 'ls', '-q', '--filter', `name=^${volume()}$`)) === volume();

beforeAll(async () => {
  owner = await register(fx.api, 'Shop Co');
});

describe('an app through its life', () => {
  it('is created by an operation: a running container with the plan limits, answering HTTP on its published port', async () => {
    const plans = (await fx.api.get(path('plans/'), { token: owner.token })).body;
    const mini = plans.find((p: any) => p.name === 'Mini');
    const created = await change('POST', path('apps/'), { name: 'shop', image: IMAGE, plan: mini.id });
    app = created.app;
    expect(app).toMatchObject({ name: 'shop', image: IMAGE, plan: mini.id, enabled: true, app_port: 8080, mode: 'http', status: 'creating' });
    expect(app.domains).toEqual([`shop-${app.id}.apps.localhost`]);
    expect(created.op).toMatchObject({ kind: 'app.create', target_type: 'app', target_id: app.id });

    container = `${prefix()}-app-${app.id}`;
    const info = await inspect(container);
    expect(info.State.Running).toBe(true);
    expect(info.HostConfig.Memory).toBe(128 * 1024 * 1024);
    expect(info.HostConfig.NanoCpus).toBe(0.25e9);
    expect(info.HostConfig.PidsLimit).toBeGreaterThan(0);
    expect(info.HostConfig.Privileged).toBe(false);
    expect(info.HostConfig.CapDrop).toContain('ALL');
    expect(info.HostConfig.SecurityOpt).toContain('no-new-privileges');
    expect(info.Config.User).toBe('1000:1000');
    // Docker's init is PID 1 and hands a stop on to supervisord at once, even in its first moments.
    expect((await docker('exec', container, 'cat', '/proc/1/comm')).trim()).toMatch(/^(docker-init|tini)/);
    // The oldest: supervisord forks before it execs each program, and a fork may be caught in between.
    // Waited for: in the container's first moments docker-init's child may not have become supervisord yet.
    await eventually('supervisord runs', async () => /^\d+$/.test((await docker('exec', container, 'pgrep', '-o', '-x', 'supervisord')).trim()), 20_000);
    expect(info.Mounts.map((m: any) => `${m.Name}:${m.Destination}`)).toEqual([`${volume()}:/srv`]);
    // No Docker socket, nothing of the host's but the volume.
    expect(JSON.stringify(info.Mounts)).not.toContain('docker.sock');
    expect(info.Config.Labels).toMatchObject({ 'berth.app': String(app.id), 'berth.company': String(owner.company.id) });

    const port = await publishedPort(container, 8080);
    expect(info.NetworkSettings.Ports['8080/tcp'][0].HostIp).toBe('127.0.0.1');
    expect(await firstOk(`http://127.0.0.1:${port}/`, 30_000, {}, () => describeContainer(container))).toBeTruthy();
    const read = await fx.api.get(path(`apps/${app.id}/`), { token: owner.token });
    expect(read.body).toMatchObject({ status: 'running', enabled: true });
  });

  it('reports what runs: container, HTTP probe, DNS, memory and /srv against the plan', async () => {
    const status = await fx.api.get(path(`apps-status/${app.id}/`), { token: owner.token });
    expect(status.status, status.text).toBe(200);
    expect(status.body).toMatchObject({ running: true, http_status: true, dns_status: true, errors: [] });
    expect(status.body.memory.limit).toBe(128);
    expect(status.body.memory.usage).toBeGreaterThan(1);
    // In GB, as Rosti's client decodes them: Mini has 1 GB, none of it over.
    expect(status.body.storage).toMatchObject({ limit: 1, over_limit: 0 });
    expect(status.body.storage.usage).toBeGreaterThanOrEqual(0);
    expect(status.body.primary_tech.name).toBe('node');
    expect(status.body.primary_tech.version).toMatch(/^\d+\.\d+/);
  });

  it('tells a running container whose app does not answer HTTP from one that does', async () => {
    await docker('exec', container, 'supervisorctl', 'stop', 'app');
    const status = await fx.api.get(path(`apps-status/${app.id}/`), { token: owner.token });
    expect(status.body).toMatchObject({ running: true, http_status: false });
    expect(status.body.errors.join(' ')).toMatch(/nothing answers HTTP on port 8080 inside the container/);
    await docker('exec', container, 'supervisorctl', 'start', 'app');
    await firstOk(`http://127.0.0.1:${await publishedPort(container, 8080)}/`, 30_000, {}, () => describeContainer(container));
    expect((await fx.api.get(path(`apps-status/${app.id}/`), { token: owner.token })).body.http_status).toBe(true);
  });

  it('converges instead of replaying: the sweep leaves a running app exactly as it is', async () => {
    const before = await inspect(container);
    await new Promise((r) => setTimeout(r, 2500)); // two sweeps at SWEEP_INTERVAL_MS=1000
    const after = await inspect(container);
    expect(after.Id).toBe(before.Id);
    expect(after.State.StartedAt).toBe(before.State.StartedAt);
  });

  it('stop removes the container and keeps /srv; start brings it back with the data', async () => {
    await docker('exec', container, 'sh', '-c', 'echo kept > /srv/var/marker');
    const stopped = await action('stop');
    expect(stopped.op.kind).toBe('app.stop');
    expect(await inspect(container)).toBeNull();
    expect(await volumeExists()).toBe(true);
    const read = await fx.api.get(path(`apps/${app.id}/`), { token: owner.token });
    expect(read.body).toMatchObject({ enabled: false, status: 'stopped' });
    const status = await fx.api.get(path(`apps-status/${app.id}/`), { token: owner.token });
    expect(status.body).toMatchObject({ running: false, http_status: false });
    expect(status.body.info.join(' ')).toMatch(/stopped; start it with PUT/);
    // The sweep does not bring a stopped app back.
    await new Promise((r) => setTimeout(r, 1500));
    expect(await inspect(container)).toBeNull();

    await action('start');
    expect((await inspect(container)).State.Running).toBe(true);
    expect(await docker('exec', container, 'cat', '/srv/var/marker')).toBe('kept');
    expect((await fx.api.get(path(`apps/${app.id}/`), { token: owner.token })).body.enabled).toBe(true);
  });

  it('restart restarts the same container in place', async () => {
    const before = await inspect(container);
    await action('restart');
    const after = await inspect(container);
    expect(after.Id).toBe(before.Id);
    expect(new Date(after.State.StartedAt).getTime()).toBeGreaterThan(new Date(before.State.StartedAt).getTime());
  });

  it('rebuild replaces the container and keeps the data', async () => {
    const before = await inspect(container);
    await action('rebuild');
    const after = await inspect(container);
    expect(after.Id).not.toBe(before.Id);
    expect(after.State.Running).toBe(true);
    expect(await docker('exec', container, 'cat', '/srv/var/marker')).toBe('kept');
  });

  it('applies an update of plan and port by replacing the container', async () => {
    const plans = (await fx.api.get(path('plans/'), { token: owner.token })).body;
    const start = plans.find((p: any) => p.name === 'Start+');
    const updated = await change('PATCH', path(`apps/${app.id}/`), { plan: start.id, app_port: 9090 });
    expect(updated.op.kind).toBe('app.update');
    const info = await inspect(container);
    expect(info.HostConfig.Memory).toBe(512 * 1024 * 1024);
    expect(info.Config.Env).toContain('PORT=9090');
    expect(await firstOk(`http://127.0.0.1:${await publishedPort(container, 9090)}/`, 30_000, {}, () => describeContainer(container))).toBeTruthy();
    expect(await docker('exec', container, 'cat', '/srv/var/marker')).toBe('kept');
  });

  it('heals: a container removed behind its back comes back, a stray labelled container goes', async () => {
    await docker('rm', '-f', container);
    await eventually('the sweep recreates the container', async () => (await inspect(container))?.State.Running);
    const stray = `${prefix()}-app-999999`;
    // Created, not started: the sweep may remove it at any moment, even before a start.
    await docker('create', '--name', stray, '--label', `berth.installation=${prefix()}`, '--label', 'berth.app=999999', IMAGE, 'sleep', '300');
    await eventually('the sweep removes the stray container', async () => (await inspect(stray)) === null);
  });

  it('delete removes the container, the volume and the published port', async () => {
    const port = await publishedPort(container, 9090);
    const deleted = await change('DELETE', path(`apps/${app.id}/`));
    expect(deleted.app.status).toBe('deleting');
    expect(deleted.op.kind).toBe('app.delete');
    expect(await inspect(container)).toBeNull();
    expect(await volumeExists()).toBe(false);
    expect(await fetch(`http://127.0.0.1:${port}/`).then(() => 'answered', () => 'refused')).toBe('refused');
    expect((await fx.api.get(path(`apps/${app.id}/`), { token: owner.token })).status).toBe(404);
    expect((await fx.db.query('SELECT count(*)::int AS n FROM app_domains WHERE app_id = $1', [app.id])).rows[0].n).toBe(0);
    expect(await containersOf(prefix())).toEqual([]);
  });
});
