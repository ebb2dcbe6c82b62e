// The ContainerDriver contract (test/support/driver-contract.ts) on a Swarm of engines in network
// namespaces (scripts/swarm-nodes.sh): the same suite the single engine passes. Node 3's engine lets
// containers reach each other on its default bridge, which Berth must refuse to put apps on.
import { randomInt } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SwarmDriver } from '../dist/src/containers/swarm/swarm.driver.js';
import { LoopVolumeStore } from '../dist/src/containers/volumes/loop-volume-store.js';
import { dockerEnv, removeVolumeImages, VOLUMES_DIR } from './support/docker.js';
import { driverContract, DriverUnderTest, RUNTIME_IMAGE } from './support/driver-contract.js';
import { nodeDocker, startSwarm, SwarmSet } from './support/swarm-nodes.js';

const env = dockerEnv();
const [from, to] = env.APP_PORTS.split('-').map(Number);
let swarm: SwarmSet;
let under: DriverUnderTest;

beforeAll(async () => {
  swarm = await startSwarm({ set: 'drv', count: 3, images: [RUNTIME_IMAGE], iccNodes: [3] });
  // Berth reaches each node's own engine at its berth.engine label; only node 2 takes apps here
  // (node 3 is asked for by name below).
  for (const node of swarm.nodes) {
    const labels = ['--label-add', `berth.engine=${node.engineHost}`, ...(node.index !== 2 ? ['--label-add', 'berth.apps=false'] : [])];
    await nodeDocker(swarm.managerHost, 'node', 'update', ...labels, node.nodeId);
  }
  const driver = new SwarmDriver(
    swarm.managerHost,
    { host: swarm.managerHost, namePrefix: env.DOCKER_NAME_PREFIX, publishAddress: '0.0.0.0', appPorts: { from, to }, pidsLimit: 200 },
    (node: string) => new LoopVolumeStore(`${VOLUMES_DIR}/${node}`),
  );
  under = { driver, ports: { from, to } };
}, 600_000);

afterAll(async () => {
  for (const node of swarm?.nodes ?? []) await removeVolumeImages(env.DOCKER_NAME_PREFIX, `${VOLUMES_DIR}/${node.name}`);
  await swarm?.down();
}, 300_000);

driverContract('swarm', () => under);

describe('swarm: moving an app between nodes', () => {
  it('copies /srv from one node to the other through the engines, owners and modes kept, and is done once done', async () => {
    const { driver, ports } = under;
    const [one, two] = swarm.nodes.map((n) => n.name);
    const appId = 800_000 + randomInt(0, 99_999);
    const spec = {
      appId, companyId: 1, image: RUNTIME_IMAGE, memoryMb: 128, cpuPercent: 25, pidsLimit: 200, appPort: 8080,
      hostPort: randomInt(ports.from, ports.to + 1), diskMb: 1024, env: { PORT: '8080' }, hosts: {}, node: two, specHash: 'a',
    };
    await driver.create(spec);
    const write = 'mkdir -p /srv/var/deep && head -c 3000000 /dev/urandom > /srv/var/deep/blob && chmod 640 /srv/var/deep/blob && ln -s deep/blob /srv/var/link && sha256sum /srv/var/deep/blob';
    const before = (await driver.run(appId, ['bash', '-c', write], 20_000)).stdout;
    await driver.remove(appId);
    await driver.moveVolume(appId, two, one, 1024, RUNTIME_IMAGE);
    // Gone from the node it left, and a second run (a retried job) finds nothing left to do.
    expect(await swarm.docker(2, 'volume', 'ls', '-q', '--filter', `name=${env.DOCKER_NAME_PREFIX}-app-${appId}-srv`)).toBe('');
    await driver.moveVolume(appId, two, one, 1024, RUNTIME_IMAGE);
    await driver.create({ ...spec, node: one, specHash: 'b' });
    expect((await driver.inspect(appId))?.node).toBe(one);
    const after = await driver.run(appId, ['bash', '-c', 'sha256sum /srv/var/deep/blob; stat -c "%U %a" /srv/var/deep/blob; readlink /srv/var/link; df -P -B1M /srv | tail -1'], 20_000);
    expect(after.stdout).toContain(before.trim());
    expect(after.stdout).toContain('app 640');
    expect(after.stdout).toContain('deep/blob');
    await driver.remove(appId);
    await driver.removeVolume(appId);
    await expect(driver.moveVolume(appId, one, two, 1024, RUNTIME_IMAGE)).rejects.toThrow(/neither node/);
  });
});

describe('swarm: a node whose engine lets containers reach each other', () => {
  it('gets no app: the create fails naming the node and the setting, and leaves no service or volume behind', async () => {
    const { driver, ports } = under;
    const three = swarm.nodes[2].name;
    const appId = 700_000 + randomInt(0, 99_999);
    const spec = {
      appId, companyId: 1, image: RUNTIME_IMAGE, memoryMb: 128, cpuPercent: 25, pidsLimit: 200, appPort: 8080,
      hostPort: randomInt(ports.from, ports.to + 1), diskMb: 1024, env: { PORT: '8080' }, hosts: {}, node: three, specHash: 'a',
    };
    // It is the engine that allows it, not a guess: two containers there do reach each other.
    await swarm.docker(3, 'run', '-d', '--name', 'drv-icc-a', '--entrypoint', 'sleep', RUNTIME_IMAGE, '60');
    const a = await swarm.docker(3, 'inspect', '-f', '{{.NetworkSettings.IPAddress}}', 'drv-icc-a');
    const ping = await swarm.docker(3, 'run', '--rm', '--entrypoint', 'bash', RUNTIME_IMAGE, '-c', `timeout 3 bash -c '</dev/tcp/${a}/1' 2>&1; echo $?`);
    await swarm.docker(3, 'rm', '-f', 'drv-icc-a');
    expect(ping).toMatch(/refused/i);

    await expect(driver.create(spec)).rejects.toThrow(`node ${three} lets the containers on its default bridge reach each other: run its engine with "icc": false`);
    expect(await driver.inspect(appId)).toBeNull();
    expect(await swarm.docker(3, 'volume', 'ls', '-q', '--filter', `name=${env.DOCKER_NAME_PREFIX}-app-${appId}-srv`)).toBe('');
  });
});
