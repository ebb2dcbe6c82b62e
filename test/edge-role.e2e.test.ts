// The edge role on its own (no worker beside it): it starts Caddy and keeps Caddy's routes
// in step with the database, healing a Caddy that restarted empty.
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { startBerth } from './support/server.js';
import { runTool } from './support/ssh.js';
import { eventually } from './support/docker.js';
import { caddyAdmin, useEdgeBerth } from './support/edge.js';
import { register } from './support/http.js';

const { fx, edge } = useEdgeBerth('edgerole', () => ({ BERTH_ROLES: 'api,edge', SWEEP_INTERVAL_MS: '500' }));

const routedHosts = async () => {
  const answer = await caddyAdmin(edge.admin, '/config/apps/http/servers/berth-http/routes');
  const routes = answer.status === 200 ? answer.json() : [];
  return (routes ?? []).flatMap((r: any) => r.match?.[0]?.host ?? []);
};

it('routes an app’s domains from the database and heals a Caddy that restarted empty', async () => {
  const owner = await register(fx.api, 'Edge Only');
  const plan = (await fx.api.get(`/${owner.company.id}/plans/`, { token: owner.token })).body[0].id;
  const app = await fx.api.post(`/${owner.company.id}/apps/`, { token: owner.token, body: { name: 'routed', image: 'berth/runtime:2026.11-1', plan, domains: ['routed.localhost'] } });
  expect(app.status, app.text).toBe(200);
  // No worker runs: only the edge role's own loop can have put the route there.
  await eventually('the edge role routes the app', async () => (await routedHosts()).includes('routed.localhost'), 15_000);
  await edge.emptyCaddy();
  expect(await routedHosts()).toEqual([]);
  await eventually('the edge role heals the routes', async () => (await routedHosts()).includes('routed.localhost'), 15_000);
});

/** Pids of the Caddy processes serving this test's data directory. */
const caddyPids = async () =>
  (await runTool('pgrep', ['-f', `caddy run --config ${join(edge.dataDir, 'initial.json')}`])).stdout.toString().split('\n').filter(Boolean);

it('starts its Caddy again when it dies, and gives it its routes', async () => {
  const [pid] = await caddyPids();
  expect(pid).toBeTruthy();
  process.kill(Number(pid), 'SIGKILL');
  await eventually('Caddy is started again, with the routes', async () => {
    const pids = await caddyPids();
    return pids.length === 1 && pids[0] !== pid && (await routedHosts()).includes('routed.localhost');
  }, 20_000);
});

it('uses a Caddy that already answers instead of starting a second one, and leaves it running when it stops', async () => {
  const before = await caddyPids();
  const second = await startBerth({ ...fx.env, BERTH_ROLES: 'edge' });
  try {
    expect(await caddyPids()).toEqual(before);
  } finally {
    await second.stop();
  }
  expect(await caddyPids()).toEqual(before);
  expect((await caddyAdmin(edge.admin, '/config/')).status).toBe(200);
});
