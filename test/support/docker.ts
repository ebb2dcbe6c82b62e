import { execFile } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The docker CLI, as an operator would use it. */
export async function docker(...args: string[]): Promise<string> {
  return (await run('docker', args, { timeout: 60_000 })).stdout.trim();
}

/** Where scripts/storage-network.sh makes this machine's database servers listen for apps (APPS_SUBNET's gateway). */
export const HOST_GATEWAY = '10.210.0.1';
/** Where Berth keeps apps' /srv images (VOLUMES_DIR's default); test installations' names start with their prefix. */
export const VOLUMES_DIR = '/var/lib/berth/volumes';

// Test files run in parallel, one per vitest worker (VITEST_POOL_ID, 1..maxWorkers). Each worker
// draws port blocks from a share of its own, so that two files running at once never get the same
// ports: a gateway that finds its app's SSH port held by another file's gateway sends the client to
// an endpoint that does not know its key. A file's own installations take its share's blocks in turn.
const WORKER_SHARES = 4;
const BLOCKS = 50;
const PER_SHARE = Math.floor(BLOCKS / WORKER_SHARES);
const share = (Number(process.env.VITEST_POOL_ID) || randomInt(1, WORKER_SHARES + 1)) - 1;
if (share >= WORKER_SHARES) throw new Error(`VITEST_POOL_ID ${share + 1}: port blocks are shared by at most ${WORKER_SHARES} workers`);
let drawn = randomInt(0, PER_SHARE);

/**
 * What a test Berth needs to share this machine's Docker with other test files
 * running at once: its own name prefix (its sweep must not take their
 * containers for orphans) and its own blocks of host ports.
 */
export function dockerEnv(): Record<string, string> {
  const index = share * PER_SHARE + (drawn++ % PER_SHARE);
  const block = (base: number) => {
    const from = base + index * 200;
    return `${from}-${from + 199}`;
  };
  // Below 32768, where Linux hands out ephemeral ports: a test's listener must not find its
  // port taken by some outgoing connection of another test.
  return {
    DOCKER_NAME_PREFIX: `bt${randomBytes(4).toString('hex')}`,
    APP_PORTS: block(20000),
    SSH_PORTS: block(10000),
    // Each installation's apps network needs a subnet of its own (the engine refuses overlaps): one of
    // the worker's 256 /26s beside the machine's own 10.210.0.0/16. Apps reach the database servers on that one's gateway.
    APPS_SUBNET: `10.211.${share * 64 + randomInt(0, 64)}.${randomInt(0, 4) * 64}/26`,
    STORAGE_PGSQL_ADDRESS: HOST_GATEWAY,
    STORAGE_MARIADB_ADDRESS: HOST_GATEWAY,
    // The edge has tests of its own (edge.e2e); elsewhere apps are reached on their published ports.
    EDGE_ROUTER: 'off',
  };
}

// Ports for a test's own listeners (an edge's Caddy, a page server): blocks of 10 in 31000-32599,
// 40 blocks per share, below the ephemeral ports and apart from every Berth's SSH and app ports.
let spareDrawn = randomInt(0, 40);

/** The first of 10 ports that no other test file running at once uses. */
export function spareBlock(): number {
  return 31000 + share * 400 + (spareDrawn++ % 40) * 10;
}

/** Removes every container, volume and network of a test installation. */
export async function removeInstallation(prefix: string): Promise<void> {
  const filter = `label=berth.installation=${prefix}`;
  const containers = (await docker('ps', '-aq', '--filter', filter)).split('\n').filter(Boolean);
  if (containers.length) await docker('rm', '-f', ...containers).catch(() => undefined);
  const volumes = (await docker('volume', 'ls', '-q', '--filter', filter)).split('\n').filter(Boolean);
  if (volumes.length) await docker('volume', 'rm', '-f', ...volumes).catch(() => undefined);
  const networks = (await docker('network', 'ls', '-q', '--filter', filter)).split('\n').filter(Boolean);
  if (networks.length) await docker('network', 'rm', ...networks).catch(() => undefined);
  await removeVolumeImages(prefix);
}

/** Unmounts and deletes the /srv images (DISK_QUOTA=loop) of a test installation (in a Swarm node's own directory with `dir`). */
export async function removeVolumeImages(prefix: string, dir = VOLUMES_DIR): Promise<void> {
  const mounts = (await readFile('/proc/self/mountinfo', 'utf8')).split('\n').map((l) => l.split(' ')[4]);
  for (const point of mounts.filter((p) => p?.startsWith(`${dir}/${prefix}-`))) {
    await run('umount', ['-l', point]).catch(() => undefined);
  }
  const entries = await readdir(dir).catch(() => [] as string[]);
  for (const entry of entries.filter((e) => e.startsWith(`${prefix}-`))) await rm(join(dir, entry), { recursive: true, force: true });
}

export async function inspect(name: string): Promise<any | null> {
  try {
    return JSON.parse(await docker('inspect', name))[0];
  } catch {
    return null;
  }
}

export async function containersOf(prefix: string): Promise<string[]> {
  return (await docker('ps', '-a', '--filter', `label=berth.installation=${prefix}`, '--format', '{{.Names}}')).split('\n').filter(Boolean);
}

/** The loopback port a container's port is published on. */
export async function publishedPort(container: string, port: number): Promise<number> {
  return Number((await docker('port', container, `${port}/tcp`)).split('\n')[0].split(':').pop());
}

/**
 * Polls `url` until it answers 200; returns the body. `explain`, when given, adds to a failure's
 * message what the test can tell about why (a container's state and output).
 */
export async function firstOk(url: string, ms = 30_000, init: RequestInit = {}, explain?: () => Promise<string>): Promise<string> {
  const until = Date.now() + ms;
  for (;;) {
    let failure = '';
    const answer = await fetch(url, { ...init, signal: AbortSignal.timeout(2000) }).catch((err: Error & { cause?: { code?: string; message?: string } }) => {
      failure = err.cause?.code ?? err.cause?.message ?? err.message;
      return undefined;
    });
    if (answer?.status === 200) return answer.text();
    await answer?.body?.cancel();
    if (Date.now() > until) {
      const why = explain ? `; ${await explain().catch((err: Error) => `(could not tell why: ${err.message})`)}` : '';
      throw new Error(`${url} gave no 200 within ${ms} ms (last: ${answer?.status ?? `no answer, ${failure}`})${why}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** A container's state, its programs and its last output: for a failure's message. */
export async function describeContainer(container: string): Promise<string> {
  const state = await docker('inspect', '--format', '{{json .State}}', container).catch((err: Error) => err.message);
  const programs = await docker('exec', container, 'supervisorctl', 'status').catch((err: Error) => err.message);
  const output = await docker('logs', '--tail', '20', container).catch((err: Error) => err.message);
  return `container ${container}: state ${state}; programs: ${programs}; last output: ${output}`;
}

/** Waits until `check` holds, polling; fails naming `what`. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined | null | false>, ms = 30_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value) return value;
    if (Date.now() > until) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
