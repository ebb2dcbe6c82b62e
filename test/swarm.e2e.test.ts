// Berth on a Swarm of real engines (scripts/swarm-nodes.sh: one manager that takes no apps, two
// nodes that do), end to end through the API, the edge, each node's SSH gateway and the storages:
// placement by free memory, a drain that moves apps with /srv intact, and a node that fails and
// comes back.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, Owner, TestApp } from './support/apps.js';
import { eventually, removeVolumeImages, VOLUMES_DIR } from './support/docker.js';
import { useEdgeBerth } from './support/edge.js';
import { register, waitForOperation } from './support/http.js';
import { BerthProcess, ROOT, startBerth } from './support/server.js';
import { runTool, SshUser } from './support/ssh.js';
import { dropStoragesOnServers } from './support/storage-clients.js';
import { startSwarm, SwarmSet } from './support/swarm-nodes.js';

const exec = promisify(execFile);
const SET = 'sw';
const MANAGER = `unix:///run/berth-nodes/${SET}-n1.sock`;
// Each node's SSH gateway runs on this machine but listens on an address of its own, as it would on its node.
const SSH_HOST = { [`${SET}-n2`]: '127.0.1.2', [`${SET}-n3`]: '127.0.1.3' };
const IMAGE = 'berth/runtime:2026.11-1';

let swarm: SwarmSet;
beforeAll(async () => {
  swarm = await startSwarm({ set: SET, count: 3, images: [IMAGE] });
  for (const node of swarm.nodes) {
    // The manager only manages; Berth reaches every node's engine at its berth.engine label.
    const labels = ['--label-add', `berth.engine=${node.engineHost}`, '--label-add', `berth.apps=${node.index === 1 ? 'false' : 'true'}`];
    await swarm.docker(1, 'node', 'update', ...labels, node.nodeId);
  }
}, 600_000);
afterAll(async () => {
  for (const node of swarm?.nodes ?? []) await removeVolumeImages(fx.env.DOCKER_NAME_PREFIX, `${VOLUMES_DIR}/${node.name}`);
  await swarm?.down();
}, 300_000);

const { fx, edge } = useEdgeBerth('swarm', () => ({
  BERTH_ROLES: 'api,worker,edge',
  CONTAINER_DRIVER: 'swarm',
  SWARM_MANAGER: MANAGER,
  SSH_NODE_HOSTNAMES: Object.entries(SSH_HOST).map(([node, host]) => `${node}=${host}`).join(','),
  SWEEP_INTERVAL_MS: '1000',
  JOB_BACKOFF_MS: '500',
  SWARM_HEARTBEAT_SECONDS: '3',
  // Shared with the nodes' processes: the worker asks their agents over these queues.
  QUEUE_PREFIX: `berth-test-swarm-${randomBytes(4).toString('hex')}`,
}));
afterAll(() => dropStoragesOnServers((sql) => fx.db.query(sql)));

const gateways: BerthProcess[] = [];
afterAll(async () => Promise.all(gateways.map((g) => g.stop())));
const users = { [`${SET}-n2`]: new SshUser(SSH_HOST[`${SET}-n2`]), [`${SET}-n3`]: new SshUser(SSH_HOST[`${SET}-n3`]) };
const key = users[`${SET}-n2`].key('tenant');
let alpha: Owner;
let beta: Owner;
let one: TestApp;
let two: TestApp;

/** `berth <args>` against this installation, as an operator runs it. */
async function berth(...args: string[]) {
  try {
    const { stdout, stderr } = await exec(process.execPath, ['dist/src/cli/berth.js', ...args], { cwd: ROOT, env: { PATH: process.env.PATH, ...fx.env }, timeout: 600_000 });
    return { code: 0, out: stdout + stderr };
  } catch (err: any) {
    return { code: err.code as number, out: `${err.stdout ?? ''}${err.stderr ?? ''}` };
  }
}

const nodeOf = async (app: TestApp) => (await fx.db.query('SELECT node, data_node FROM apps WHERE id = $1', [app.id])).rows[0];
const visit = async (app: TestApp) => {
  const run = await runTool('curl', ['-s', '--max-time', '5', '-o', '/dev/null', '-w', '%{http_code}', `http://${app.body.domains[0]}:${edge.http}/`]);
  return Number(run.stdout.toString());
};
const sshAs = (node: string, app: TestApp, command: string) => users[node].ssh(app.sshPort, key.path, [command]);
/** Whether node `node`'s agent has the app's /srv image mounted on the node's disk. */
const mountedOn = async (node: string, app: TestApp) =>
  (await exec('findmnt', ['-n', '-o', 'SOURCE', `${VOLUMES_DIR}/${node}/${fx.env.DOCKER_NAME_PREFIX}-app-${app.id}-srv`]).then(() => true, () => false));

beforeAll(async () => {
  for (const [node, host] of Object.entries(SSH_HOST)) {
    // What runs on each node: its SSH gateway, and its agent making the apps' /srv images on the node's own disk.
    const own = { NODE_NAME: node, SSH_LISTEN_ADDRESS: host, VOLUMES_DIR: `${VOLUMES_DIR}/${node}` };
    gateways.push(await startBerth({ ...fx.env, ...own, BERTH_ROLES: 'ssh,node', SSH_SYNC_INTERVAL_MS: '200' }));
  }
  alpha = await register(fx.api, 'Alpha Swarm');
  beta = await register(fx.api, 'Beta Swarm');
}, 120_000);

describe('apps on a Swarm', () => {
  it("places two companies' apps on the two nodes that take apps, by free memory, and records it", async () => {
    one = await createApp(fx.api, alpha, users[`${SET}-n2`], key, { name: 'one', image: IMAGE });
    two = await createApp(fx.api, beta, users[`${SET}-n3`], key, { name: 'two', image: IMAGE });
    // Same memory on both: the first goes to the first by name, the second to the one with more left.
    expect(await nodeOf(one)).toEqual({ node: `${SET}-n2`, data_node: `${SET}-n2` });
    expect(await nodeOf(two)).toEqual({ node: `${SET}-n3`, data_node: `${SET}-n3` });
    expect(await swarm.docker(2, 'ps', '--format', '{{.Names}}')).toContain(`${fx.env.DOCKER_NAME_PREFIX}-app-${one.id}.`);
    expect(await swarm.docker(3, 'ps', '--format', '{{.Names}}')).toContain(`${fx.env.DOCKER_NAME_PREFIX}-app-${two.id}.`);
    expect(await swarm.docker(1, 'ps', '-q')).toBe('');
    // Each /srv is a quota'd image of the plan's size that the agent of its node made and mounted there.
    expect([await mountedOn(`${SET}-n2`, one), await mountedOn(`${SET}-n3`, one), await mountedOn(`${SET}-n3`, two)]).toEqual([true, false, true]);
    const df = (await sshAs(`${SET}-n2`, one, 'df -P -B1M /srv | tail -1')).stdout.toString().split(/\s+/);
    expect(Number(df[1])).toBeGreaterThan(1000);
    expect(Number(df[1])).toBeLessThanOrEqual(1024);
    // The worker set the Swarm's heartbeat (the harness started it at 2 s).
    expect(await swarm.docker(1, 'info', '--format', '{{.Swarm.Cluster.Spec.Dispatcher.HeartbeatPeriod}}')).toBe('3s');
    const listed = JSON.parse((await berth('node:list', '--json')).out);
    expect(listed.find((n: any) => n.name === `${SET}-n2`)).toMatchObject({ state: 'ready', acceptsApps: true, apps: 1, reservedMb: 128 });
    expect(listed.find((n: any) => n.name === `${SET}-n1`)).toMatchObject({ state: 'ready', acceptsApps: false, apps: 0 });
  }, 240_000);

  it('answers each app through the edge, and over SSH only on the endpoint of its node', async () => {
    await eventually('both apps answer through the edge', async () => (await visit(one)) === 200 && (await visit(two)) === 200, 60_000);
    expect(one.body.ssh_access[0].hostname).toBe(SSH_HOST[`${SET}-n2`]);
    expect(two.body.ssh_access[0].hostname).toBe(SSH_HOST[`${SET}-n3`]);
    expect((await sshAs(`${SET}-n2`, one, 'hostname')).stdout.toString().trim()).toBe(`app-${one.id}`);
    expect((await sshAs(`${SET}-n3`, two, 'hostname')).stdout.toString().trim()).toBe(`app-${two.id}`);
    // Node 3's gateway has no endpoint for an app of node 2.
    users[`${SET}-n3`].trust([one.sshPort], (await fx.api.get('/ssh-host-keys/', { token: alpha.token })).body[0].public_key);
    const elsewhere = await sshAs(`${SET}-n3`, one, 'true');
    expect(elsewhere.code).not.toBe(0);
    expect(elsewhere.stderr).toMatch(/refused/i);
  });

  it('reaches its storage from either node by the app-facing name', async () => {
    for (const [who, app, node, type] of [[alpha, one, `${SET}-n2`, 'pgsql'], [beta, two, `${SET}-n3`, 'mariadb']] as const) {
      const password = `Swarm-${type}-Passw0rd!`;
      const created = await fx.api.post(`/${who.company.id}/storages/`, { token: who.token, body: { type, password } });
      expect(created.status, created.text).toBe(200);
      expect((await waitForOperation(fx.api, who.token, who.company.id, created.body.operation_id)).status).toBe('success');
      const s = (await fx.api.get(`/${who.company.id}/storages/${created.body.id}/`, { token: who.token })).body;
      const query = type === 'pgsql'
        ? `PGPASSWORD='${password}' psql -h ${s.host} -p ${s.port} -U ${s.username} -d ${s.name} -w -Atc 'select current_database()'`
        : `MYSQL_PWD='${password}' mariadb -h ${s.host} -P ${s.port} -u ${s.username} -N -B -e 'select database()' ${s.name}`;
      const run = await sshAs(node, app, query);
      expect(run.stdout.toString().trim(), run.stderr).toBe(s.name);
    }
  });
});

describe('draining a node', () => {
  let sum: string;
  const marker = randomBytes(8).toString('hex');

  beforeAll(async () => {
    const write = `head -c 20000000 /dev/urandom > /srv/var/blob && echo ${marker} > /srv/var/marker && chmod 600 /srv/var/marker && sha256sum /srv/var/blob`;
    sum = (await sshAs(`${SET}-n2`, one, write)).stdout.toString().trim();
    expect(sum).toMatch(/^[0-9a-f]{64} /);
  });

  it('refuses to remove a node that holds apps', async () => {
    const refused = await berth('node:remove', `${SET}-n2`);
    expect(refused.code).toBe(1);
    expect(refused.out).toMatch(new RegExp(`node ${SET}-n2 still holds 1 app: ${one.id} \\(one\\); drain it first`));
  });

  it("moves its apps to the other node with /srv intact, each as an operation of the app's company, SSH and edge following", async () => {
    // The edge all along: the app that stays put must not see a single error while the other moves.
    const seen: number[] = [];
    let draining = true;
    const watch = (async () => {
      while (draining) {
        seen.push(await visit(two));
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    const drained = await berth('node:drain', `${SET}-n2`).finally(() => (draining = false));
    await watch;
    expect(seen.length).toBeGreaterThan(5);
    expect(seen.filter((s) => s !== 200)).toEqual([]);
    expect(drained.code, drained.out).toBe(0);
    // The move's downtime ends with its operation: the edge routes to the new node as part of it (and
    // retries a connection refused while the app's server starts).
    expect(await visit(one)).toBe(200);
    expect(drained.out).toMatch(new RegExp(`app ${one.id} \\(one, company ${alpha.company.id}\\): moved to ${SET}-n3`));
    expect(await nodeOf(one)).toEqual({ node: `${SET}-n3`, data_node: `${SET}-n3` });
    const moved = (await fx.db.query(`SELECT status, message FROM operations WHERE target_id = $1 AND kind = 'app.move'`, [one.id])).rows;
    // Its message is its last try's: "moved from node … with /srv; …", or, when a try after the copy was retried, what that one did.
    expect(moved).toEqual([expect.objectContaining({ status: 'success', message: expect.stringMatching(new RegExp(`running; port 8080 published on node ${SET}-n3:`)) })]);
    const events = (await fx.api.get(`/${alpha.company.id}/events/?action=app.move`, { token: alpha.token })).body;
    expect(events[0]).toMatchObject({ action: 'app.move', target_id: String(one.id), data: { from: `${SET}-n2`, to: `${SET}-n3` } });

    const read = (await fx.api.get(`/${alpha.company.id}/apps/${one.id}/`, { token: alpha.token })).body;
    expect(read.ssh_access[0].hostname).toBe(SSH_HOST[`${SET}-n3`]);
    users[`${SET}-n3`].trust([one.sshPort, two.sshPort], (await fx.api.get('/ssh-host-keys/', { token: alpha.token })).body[0].public_key);
    await eventually("node 3's gateway takes the moved app's logins", async () => (await sshAs(`${SET}-n3`, one, 'true')).code === 0, 30_000);
    const after = (await sshAs(`${SET}-n3`, one, 'sha256sum /srv/var/blob; cat /srv/var/marker; stat -c "%U %a" /srv/var/marker')).stdout.toString();
    expect(after).toContain(sum);
    expect(after).toContain(marker);
    expect(after).toContain('app 600');
    // The node it left refuses its logins.
    expect((await sshAs(`${SET}-n2`, one, 'true')).code).not.toBe(0);
    expect(await swarm.docker(2, 'ps', '-aq', '--filter', `label=berth.installation=${fx.env.DOCKER_NAME_PREFIX}`)).toBe('');
    expect(await swarm.docker(2, 'volume', 'ls', '-q', '--filter', `label=berth.installation=${fx.env.DOCKER_NAME_PREFIX}`)).toBe('');
    expect([await mountedOn(`${SET}-n2`, one), await mountedOn(`${SET}-n3`, one)]).toEqual([false, true]);

    const listed = JSON.parse((await berth('node:list', '--json')).out);
    expect(listed.find((n: any) => n.name === `${SET}-n2`)).toMatchObject({ availability: 'drain', acceptsApps: false, apps: 0 });
    expect(listed.find((n: any) => n.name === `${SET}-n3`)).toMatchObject({ apps: 2 });
  }, 240_000);

  it('removes the drained node', async () => {
    const removed = await berth('node:remove', `${SET}-n2`);
    expect(removed.code, removed.out).toBe(0);
    expect(await swarm.docker(1, 'node', 'ls', '--format', '{{.Hostname}}')).not.toContain(`${SET}-n2`);
  });
});

describe('a node that fails', () => {
  it('is reported by its apps while away, nothing deleted, and they run again when it is back', async () => {
    // A crash, not a stop: an engine that dies keeps on disk what it had, which is how a Swarm network
    // of its apps came back stale and had every task on the node rejected (moby/moby#37087).
    await swarm.crashEngine(3);
    const status = async (who: Owner, app: TestApp) => (await fx.api.get(`/${who.company.id}/apps-status/${app.id}/`, { token: who.token })).body;
    const down = await eventually('apps-status says the node is unreachable', async () => {
      const s = await status(beta, two);
      return s.errors?.some((e: string) => e.startsWith('the node running this app is unreachable')) ? s : undefined;
    }, 60_000);
    expect(down.errors.join('\n')).toContain(`node ${SET}-n3`);
    expect((await fx.api.get(`/${beta.company.id}/apps/${two.id}/`, { token: beta.token })).status).toBe(200);
    expect(await nodeOf(two)).toEqual({ node: `${SET}-n3`, data_node: `${SET}-n3` });

    await swarm.startEngine(3);
    // It normally takes seconds; should it not come back, the error says what the Swarm and Berth saw.
    await eventually('both apps answer through the edge again', async () => (await visit(one)) === 200 && (await visit(two)) === 200, 120_000).catch(
      async (err: Error) => {
        const ask = (...args: string[]) => swarm.docker(1, ...args).catch((e: Error) => e.message);
        const seen = [`edge: ${await visit(one)} ${await visit(two)}`, await ask('node', 'ls'), await ask('service', 'ls'), await ask('service', 'ps', '--no-trunc', ...(await ask('service', 'ls', '-q')).split('\n').filter(Boolean))];
        throw new Error(`${err.message}\n${seen.join('\n')}\n${fx.berth.describe()}`);
      },
    );
    // The manager's view of the node (read once a second) may lag the edge by a moment: asked again until it
    // agrees, and should it not, the error has its last answer.
    let last = '';
    await eventually('apps-status no longer says the node is unreachable', async () => {
      const answer = await fx.api.get(`/${beta.company.id}/apps-status/${two.id}/`, { token: beta.token });
      last = `${answer.status} ${answer.text}`;
      // Not a failure by itself (the node is rejoining), but worth seeing in the run's output.
      if (answer.status !== 200) console.warn(`apps-status while the node rejoins: ${last}`);
      return answer.status === 200 && !answer.body.errors.some((e: string) => e.includes('unreachable'));
    }, 30_000).catch((err: Error) => {
      throw new Error(`${err.message}; its last answer: ${last}`);
    });
    expect((await sshAs(`${SET}-n3`, one, 'cat /srv/var/marker')).stdout.toString().trim()).toMatch(/^[0-9a-f]{16}$/);
  }, 240_000);

  it('deletes an app with its /srv from its node (the manager, which takes no apps and runs no agent, is left alone)', async () => {
    const deleted = await fx.api.delete(`/${alpha.company.id}/apps/${one.id}/`, { token: alpha.token });
    expect(deleted.status, deleted.text).toBe(200);
    expect((await waitForOperation(fx.api, alpha.token, alpha.company.id, deleted.body.operation_id)).status).toBe('success');
    expect(await mountedOn(`${SET}-n3`, one)).toBe(false);
    expect(await swarm.docker(3, 'volume', 'ls', '-q', '--filter', `name=${fx.env.DOCKER_NAME_PREFIX}-app-${one.id}-srv`)).toBe('');
    // The sweep lists every app's state, the manager's node included, without failing on it.
    expect(fx.berth.logs()).not.toMatch(/sweep.*agent|has no agent running/);
  }, 240_000);
});
