// The Swarm harness (scripts/swarm-nodes.sh through test/support/swarm-nodes.ts): two Docker engines in
// network namespaces of this machine form a Swarm; a service placed on node 2 answers on node 2's
// address; containers on the two nodes reach each other over an overlay network; node 2's engine
// failing shows in the manager as down, its return as ready; and `down` leaves nothing running.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docker, eventually, firstOk } from './support/docker.js';
import { startSwarm, SwarmNode, SwarmSet } from './support/swarm-nodes.js';

const run = promisify(execFile);
const SET = 'hn';
// Its default app (supervisord running python3's http.server) answers HTTP on $PORT, 8080.
const IMAGE = 'berth/runtime-python:2026.11-1';
const PUBLISHED = 18080;

let swarm: SwarmSet;
let n1: SwarmNode;
let n2: SwarmNode;

beforeAll(async () => {
  swarm = await startSwarm({ set: SET, count: 2, images: [IMAGE] });
  [n1, n2] = swarm.nodes;
}, 600_000);

afterAll(async () => {
  await swarm?.down();
}, 180_000);

const nodeState = (node: SwarmNode) => swarm.docker(1, 'node', 'inspect', '--format', '{{.Status.State}}', node.nodeId);

describe('a Swarm of engines in network namespaces', () => {
  it('has both nodes ready, labelled, on addresses of their own; the machine’s engine is in no Swarm', async () => {
    expect(swarm.nodes.map((n) => n.index)).toEqual([1, 2]);
    expect(n1.engineHost).toBe(`unix:///run/berth-nodes/${SET}-n1.sock`);
    expect(swarm.managerHost).toBe(n1.engineHost);
    expect(n1.address).toMatch(/^10\.213\.\d+\.11$/);
    expect(n2.address).toBe(n1.address.replace(/\.11$/, '.12'));

    const listed = (await swarm.docker(1, 'node', 'ls', '--format', '{{.ID}} {{.Status}} {{.Availability}} {{.ManagerStatus}}')).split('\n');
    expect(listed.map((line) => line.trimEnd()).sort()).toEqual([`${n1.nodeId} Ready Active Leader`, `${n2.nodeId} Ready Active`].sort());
    for (const node of swarm.nodes) {
      const labels = JSON.parse(await swarm.docker(1, 'node', 'inspect', '--format', '{{json .Spec.Labels}}', node.nodeId));
      expect(labels).toEqual({ 'berth.apps': 'true', 'berth.node': node.name });
      expect(await swarm.docker(node.index, 'info', '--format', '{{.Swarm.NodeID}} {{.Swarm.NodeAddr}}')).toBe(`${node.nodeId} ${node.address}`);
    }
    expect(await docker('info', '--format', '{{.Swarm.LocalNodeState}}')).toBe('inactive');
  });

  it('runs a service placed on node 2 by its id, which answers on node 2’s address (port published in host mode)', async () => {
    await swarm.docker(
      1, 'service', 'create', '--detach', '--name', `${SET}-web`,
      // No registry answers here: the manager is not to look for the tag's digest in one.
      '--no-resolve-image',
      '--constraint', `node.id==${n2.nodeId}`,
      // The machine's kernel has no IPVS: no virtual IP, no routing mesh; ports are published on the node itself.
      '--endpoint-mode', 'dnsrr', '--publish', `mode=host,target=8080,published=${PUBLISHED}`,
      IMAGE,
    );
    expect(await firstOk(`http://${n2.address}:${PUBLISHED}/`, 60_000)).toContain('It works');
    const task = (node: SwarmNode) => swarm.docker(node.index, 'ps', '--quiet', '--filter', `label=com.docker.swarm.service.name=${SET}-web`);
    expect(await task(n2)).not.toBe('');
    expect(await task(n1)).toBe('');
    const onNode1 = await fetch(`http://${n1.address}:${PUBLISHED}/`, { signal: AbortSignal.timeout(3000) }).catch((err) => err);
    expect(onNode1).toBeInstanceOf(Error);
    expect(await docker('ps', '--quiet', '--filter', `label=com.docker.swarm.service.name=${SET}-web`)).toBe('');
  }, 120_000);

  it('lets a container on node 1 and one on node 2 reach each other over an attachable overlay network', async () => {
    const network = `${SET}-overlay`;
    await swarm.docker(1, 'network', 'create', '--driver', 'overlay', '--attachable', network);
    await swarm.docker(1, 'run', '--detach', '--name', `${SET}-a`, '--network', network, IMAGE);
    await swarm.docker(2, 'run', '--detach', '--name', `${SET}-b`, '--network', network, IMAGE);
    const address = (node: SwarmNode, name: string) =>
      swarm.docker(node.index, 'inspect', '--format', `{{(index .NetworkSettings.Networks "${network}").IPAddress}}`, name);
    const a = await address(n1, `${SET}-a`);
    const b = await address(n2, `${SET}-b`);
    // Overlay addresses come from the set's own pool (10.216-231.x.x), apart from the machine's networks.
    expect(a).toMatch(/^10\.(21[6-9]|22\d|23[01])\./);
    const get = (node: SwarmNode, from: string, url: string) => swarm.docker(node.index, 'exec', from, 'curl', '-sf', '-m', '3', url);
    expect(await eventually(`${SET}-a reaches ${SET}-b`, async () => (await get(n1, `${SET}-a`, `http://${b}:8080/`)).includes('It works'))).toBe(true);
    expect(await eventually(`${SET}-b reaches ${SET}-a`, async () => (await get(n2, `${SET}-b`, `http://${a}:8080/`)).includes('It works'))).toBe(true);
    // By name too: the overlay's DNS knows containers on other nodes.
    expect(await eventually(`${SET}-a finds ${SET}-b by name`, async () => (await get(n1, `${SET}-a`, `http://${SET}-b:8080/`)).includes('It works'))).toBe(true);
  }, 120_000);

  it('shows node 2 down once its engine stops, and ready again once it is back', async () => {
    expect(await nodeState(n2)).toBe('ready');
    await swarm.stopEngine(2);
    await eventually('node 2 reported down', async () => (await nodeState(n2)) === 'down', 30_000);
    expect(existsSync(n2.socket)).toBe(false);
    expect(await nodeState(n1)).toBe('ready');

    await swarm.startEngine(2);
    await eventually('node 2 reported ready', async () => (await nodeState(n2)) === 'ready', 30_000);
    // Its service's task is started again there.
    expect(await firstOk(`http://${n2.address}:${PUBLISHED}/`, 60_000)).toContain('It works');
  }, 180_000);

  it('leaves no namespace, engine, link, mount or forwarding rule behind on `down`', async () => {
    await swarm.down();
    expect((await run('ip', ['netns', 'list'])).stdout).not.toMatch(new RegExp(`berth-${SET}-n`));
    const links = (await run('ip', ['-o', 'link', 'show'])).stdout;
    expect(links).not.toMatch(new RegExp(`\\b(bns-${SET}|bnv-${SET}-\\d)\\b`));
    const ours = (text: string) => text.includes(`/run/berth-nodes/${SET}-n`) || text.includes(`/var/lib/berth-nodes/${SET}-n`);
    const processes = readdirSync('/proc')
      .filter((p) => /^\d+$/.test(p))
      .map((p) => {
        try {
          return readFileSync(`/proc/${p}/cmdline`, 'utf8').replaceAll('\0', ' ');
        } catch {
          return '';
        }
      });
    expect(processes.filter(ours)).toEqual([]);
    expect(readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter(ours)).toEqual([]);
    for (const chain of ['DOCKER-USER', 'FORWARD']) {
      expect((await run('iptables', ['-w', '-S', chain])).stdout).not.toContain(`bns-${SET}`);
    }
    // The engines' data stays for the next run: images loaded once are not loaded again.
    expect(existsSync(`/var/lib/berth-nodes/${SET}-n1/data/image`)).toBe(true);
  }, 120_000);
});
