// The ContainerDriver contract on the single Docker engine (test/support/driver-contract.ts);
// test/swarm-driver.e2e.test.ts runs the same suite on a Swarm.
import { afterAll, beforeAll } from 'vitest';
import { DockerDriver } from '../dist/src/containers/docker/docker.driver.js';
import { LoopVolumeStore } from '../dist/src/containers/volumes/loop-volume-store.js';
import { dockerEnv, removeInstallation, VOLUMES_DIR } from './support/docker.js';
import { driverContract, DriverUnderTest } from './support/driver-contract.js';

const env = dockerEnv();
const [from, to] = env.APP_PORTS.split('-').map(Number);
let under: DriverUnderTest;

beforeAll(() => {
  const [cidr] = [env.APPS_SUBNET];
  const base = cidr.split('/')[0].split('.').map(Number);
  const gateway = [...base.slice(0, 3), base[3] + 1].join('.');
  const driver = new DockerDriver(
    { host: 'unix:///var/run/docker.sock', namePrefix: env.DOCKER_NAME_PREFIX, publishAddress: '127.0.0.1', appPorts: { from, to }, pidsLimit: 200 },
    { cidr, gateway },
    new LoopVolumeStore(VOLUMES_DIR),
  );
  under = { driver, ports: { from, to } };
});

afterAll(() => removeInstallation(env.DOCKER_NAME_PREFIX));

driverContract('docker', () => under);
