// Host ports: Berth allocates and records them, and moves an app off one that a program
// outside Berth holds.
import { randomInt } from 'node:crypto';
import { createServer, Server } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { firstOk, inspect } from './support/docker.js';
import { useBerth } from './support/fixture.js';
import { register, waitForOperation } from './support/http.js';

// Below the ephemeral ports (32768 up) and the blocks other test files use (test/support).
const P = 30000 + randomInt(0, 400) * 2;
// Two ports for apps; a program outside Berth holds the first.
// Also a platform domain of its own, to show APPS_DOMAIN names the default domains.
const fx = useBerth('appports', { BERTH_ROLES: 'api,worker', APP_PORTS: `${P}-${P + 1}`, APPS_DOMAIN: 'apps.example.test', JOB_BACKOFF_MS: '200' });
let squatter: Server;

beforeAll(async () => {
  squatter = createServer();
  await new Promise<void>((resolve) => squatter.listen(P, '127.0.0.1', resolve));
});
afterAll(() => new Promise<void>((resolve) => squatter.close(() => resolve())));

it('moves an app off a host port something else holds, to one that is free, and records it', async () => {
  const owner = await register(fx.api, 'Ports Co');
  const plan = (await fx.api.get(`/${owner.company.id}/plans/`, { token: owner.token })).body[0].id;
  // Berth picks among its free ports at random: over four apps it picks the held one
  // at least once but for a 1-in-16 chance, and every app must end on the free one.
  for (let i = 0; i < 4; i++) {
    const created = await fx.api.post(`/${owner.company.id}/apps/`, { token: owner.token, body: { name: `p${i}`, image: 'berth/runtime:2026.11-1', plan } });
    expect(created.status, created.text).toBe(200);
    expect(created.body.domains).toEqual([`p${i}-${created.body.id}.apps.example.test`]);
    const op = await waitForOperation(fx.api, owner.token, owner.company.id, created.body.operation_id);
    expect(op.status, op.message).toBe('success');
    expect(op.message).toContain(`published on 127.0.0.1:${P + 1}`);
    const row = await fx.db.query('SELECT host_port FROM apps WHERE id = $1', [created.body.id]);
    expect(row.rows[0].host_port).toBe(P + 1);
    const info = await inspect(`${fx.env.DOCKER_NAME_PREFIX}-app-${created.body.id}`);
    expect(info.NetworkSettings.Ports['8080/tcp'][0].HostPort).toBe(String(P + 1));
    await firstOk(`http://127.0.0.1:${P + 1}/`);
    const gone = await fx.api.delete(`/${owner.company.id}/apps/${created.body.id}/`, { token: owner.token });
    expect((await waitForOperation(fx.api, owner.token, owner.company.id, gone.body.operation_id)).status).toBe('success');
  }
  // The squatter was never disturbed.
  expect(squatter.listening).toBe(true);
});
