// The ContainerDriver contract (test/support/driver-contract.ts) on a Swarm of two engines in
// network namespaces (scripts/swarm-nodes.sh): the same suite the single engine passes.
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
  swarm = await startSwarm({ set: 'drv', count: 2, images: [RUNTIME_IMAGE] });
  // Berth reaches each node's own engine at its berth.engine label; only node 2 takes apps here.
  for (const node of swarm.nodes) {
    const labels = ['--label-add', `berth.engine=${node.engineHost}`, ...(node.index === 1 ? ['--label-add', 'berth.apps=false'] : [])];
    await nodeDocker(swarm.managerHost, 'node', 'update', ...labels, node.nodeId);
  }
  const cidr = env.APPS_SUBNET;
  const base = cidr.split('/')[0].split('.').map(Number);
  const gateway = [...base.slice(0, 3), base[3] + 1].join('.');
  const driver = new SwarmDriver(
    swarm.managerHost,
    { host: swarm.managerHost, namePrefix: env.DOCKER_NAME_PREFIX, publishAddress: '0.0.0.0', appPorts: { from, to }, pidsLimit: 200 },
    { cidr, gateway },
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
