// What every ContainerDriver must do, run against real engines: the single Docker engine and a
// Swarm of engines in network namespaces both pass this same suite (test/container-drivers.e2e.test.ts).
import { randomBytes, randomInt } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { AppContainerSpec, ContainerDriver, ContainerNode } from '../../dist/src/containers/container-driver.js';
import { eventually } from './docker.js';

export const RUNTIME_IMAGE = 'berth/runtime:2026.11-1';

export interface DriverUnderTest {
  driver: ContainerDriver;
  /** Host ports this driver's apps may publish on (its own block). */
  ports: { from: number; to: number };
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

async function httpOk(url: string): Promise<boolean> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(2000) })).ok;
  } catch {
    return false;
  }
}

/**
 * The contract, for one driver. `setup` runs in a beforeAll of the caller's; every app it makes
 * here is removed with its volume by the tests themselves.
 */
export function driverContract(name: string, under: () => DriverUnderTest): void {
  describe(`${name}: the ContainerDriver contract`, () => {
    const appId = 900_000 + randomInt(0, 99_999);
    let node: ContainerNode;
    let spec: AppContainerSpec;

    it('answers a ping and lists a node that takes apps', async () => {
      const { driver, ports } = under();
      await driver.ping();
      const nodes = await driver.nodes();
      node = nodes.find((n) => n.acceptsApps)!;
      expect(node, JSON.stringify(nodes)).toBeDefined();
      expect(node.state).toBe('ready');
      expect(node.memoryBytes).toBeGreaterThan(0);
      spec = {
        appId,
        companyId: 1,
        image: RUNTIME_IMAGE,
        memoryMb: 160,
        cpuPercent: 50,
        pidsLimit: 200,
        appPort: 8080,
        hostPort: randomInt(ports.from, ports.to + 1),
        diskMb: 1024,
        env: { PORT: '8080', CONTRACT: 'yes' },
        hosts: { 'db.contract.test': '10.210.0.1' },
        node: node.name,
        specHash: randomBytes(8).toString('hex'),
      };
    });

    it('creates a running container with the spec, on the node asked for, serving on its published port', async () => {
      const { driver } = under();
      await driver.create(spec);
      const observed = await driver.inspect(appId);
      expect(observed).toMatchObject({ appId, running: true, specHash: spec.specHash, node: node.name, volumeReady: true });
      // The environment it was made with (what masks the secrets it prints: src/app-config/app-secret-mask.ts).
      expect(observed!.env).toMatchObject({ PORT: '8080', CONTRACT: 'yes' });
      expect((await driver.list()).find((c) => c.appId === appId)).toMatchObject({ running: true, specHash: spec.specHash, node: node.name });
      await eventually('the published port answers', () => httpOk(`http://${node.address}:${spec.hostPort}/`));
    });

    it('runs as app with the plan limits, a read-only root, the storages in /etc/hosts and its environment', async () => {
      const { driver } = under();
      const out = await driver.run(appId, ['bash', '-c', 'id -u; echo $CONTRACT; grep db.contract.test /etc/hosts; touch /etc/x 2>&1 || echo readonly; cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/memory.max 2>/dev/null; df -P -B1M /srv | tail -1'], 20_000);
      expect(out.exitCode).toBe(0);
      const lines = out.stdout.trim().split('\n');
      expect(lines[0]).toBe('1000');
      expect(lines[1]).toBe('yes');
      expect(lines[2]).toMatch(/^10\.210\.0\.1\s+db\.contract\.test/);
      expect(out.stdout).toContain('readonly');
      expect(out.stdout).toContain(String(160 * 1024 * 1024));
      const sample = await driver.sample(appId);
      expect(sample).not.toBeNull();
      expect(sample!.memoryLimitBytes).toBe(160 * 1024 * 1024);
      expect(sample!.cpuCores).toBeCloseTo(0.5);
      expect(await driver.memoryUsageMb(appId)).toBeGreaterThan(0);
    });

    it("keeps containers apart: another app's container does not answer it on its own address", async () => {
      const { driver, ports } = under();
      let hostPort = spec.hostPort;
      while (hostPort === spec.hostPort) hostPort = randomInt(ports.from, ports.to + 1);
      const other = { ...spec, appId: appId + 100_000, companyId: 2, hostPort, specHash: randomBytes(8).toString('hex') };
      await driver.create(other);
      try {
        const address = (await driver.run(other.appId, ['hostname', '-i'], 10_000)).stdout.trim().split(/\s+/)[0];
        expect(address).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
        const probe = async (from: number) =>
          (await driver.run(from, ['curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '3', `http://${address}:8080/`], 15_000)).stdout;
        // It serves there (so a refusal below is the network's doing, not an app that is not listening)...
        await eventually('the other app serves on its own address', async () => (await probe(other.appId)) === '200');
        // ... and a neighbour's container gets nothing from it.
        expect(await probe(appId)).toBe('000');
      } finally {
        await driver.remove(other.appId);
        await driver.removeVolume(other.appId);
      }
    });

    it('takes input into a command in the container, reads a file back as an archive, and keeps /srv across a restart', async () => {
      const { driver } = under();
      const session = await driver.exec(appId, ['sh', '-c', 'cat > /srv/contract.txt']);
      session.stdin.end('kept across restarts\n');
      expect(await session.exit).toBe(0);
      session.socket.destroy();
      expect((await driver.run(appId, ['cat', '/srv/contract.txt'], 10_000)).stdout).toBe('kept across restarts\n');
      const back = await readAll(await driver.getArchive(appId, '/srv/contract.txt'));
      expect(back.subarray(512, 512 + 21).toString()).toBe('kept across restarts\n');
      await driver.restart(appId);
      await eventually('running after the restart', async () => (await driver.inspect(appId))?.running);
      expect((await driver.run(appId, ['cat', '/srv/contract.txt'], 10_000)).stdout).toBe('kept across restarts\n');
    });

    it("streams the container's output, with each line's time", async () => {
      const { driver } = under();
      const lines: string[] = [];
      const signal = AbortSignal.timeout(10_000);
      for await (const line of driver.logs(appId, { follow: false, signal })) lines.push(`${line.time} ${line.stream} ${line.text}`);
      expect(lines.length).toBeGreaterThan(0);
      expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z (stdout|stderr) /);
    });

    it('removes the container but keeps /srv, which a new container finds; removeVolume deletes it', async () => {
      const { driver } = under();
      await driver.remove(appId);
      expect(await driver.inspect(appId)).toBeNull();
      expect((await driver.list()).some((c) => c.appId === appId)).toBe(false);
      await driver.remove(appId);
      await driver.create({ ...spec, specHash: randomBytes(8).toString('hex') });
      expect((await driver.run(appId, ['cat', '/srv/contract.txt'], 10_000)).stdout).toBe('kept across restarts\n');
      await driver.remove(appId);
      await driver.removeVolume(appId);
      await driver.removeVolume(appId);
      await driver.create({ ...spec, specHash: randomBytes(8).toString('hex') });
      expect((await driver.run(appId, ['bash', '-c', 'test -e /srv/contract.txt && echo there || echo gone'], 10_000)).stdout.trim()).toBe('gone');
      await driver.remove(appId);
      await driver.removeVolume(appId);
    });
  });
}
