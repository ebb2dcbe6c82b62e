// Attack catalogue: what an SSH client can make the gateway spend before it has logged in.
import { beforeAll, describe, expect, it } from 'vitest';
import { createApp, Owner, TestApp } from '../support/apps.js';
import { eventually } from '../support/docker.js';
import { useBerth } from '../support/fixture.js';
import { register } from '../support/http.js';
import { adminQuery } from '../support/services.js';
import { runTool, SshUser } from '../support/ssh.js';
import { attempt, silentSocket } from './ssh-clients.js';

const MAX_AUTH_TRIES = 6;
const PER_IP = 10;
const MAX = 25;
const fx = useBerth('secpreauth', {
  BERTH_ROLES: 'api,worker,ssh',
  // Few background queries while database commits are counted.
  SSH_SYNC_INTERVAL_MS: '1000',
  SSH_MAX_AUTH_TRIES: String(MAX_AUTH_TRIES),
  SSH_UNAUTHENTICATED_PER_IP: String(PER_IP),
  SSH_UNAUTHENTICATED_MAX: String(MAX),
});
const user = new SshUser();
let owner: Owner;
let key: { path: string; pub: string };
let apps: TestApp[];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Transactions committed in the test's database. PostgreSQL publishes a backend's counts up to 10 s late. */
async function commits(): Promise<number> {
  await sleep(11_000);
  const { rows } = await adminQuery('SELECT xact_commit::int AS n FROM pg_stat_database WHERE datname = $1', [fx.db.name]);
  return rows[0].n;
}

/** Holds `count` silent connections, from `addresses` in turn, to the apps' endpoints in turn; how many were served. */
async function hold(count: number, addresses: string[]) {
  const sockets = Array.from({ length: count }, (_, i) => silentSocket(apps[i % apps.length].sshPort, addresses[i % addresses.length]));
  const fates = await Promise.all(sockets.map((s) => Promise.race([s.fate, sleep(5000).then(() => 'pending' as const)])));
  return { served: fates.filter((f) => f === 'served').length, refused: fates.filter((f) => f === 'refused').length, release: () => sockets.forEach((s) => s.socket.destroy()) };
}

beforeAll(async () => {
  owner = await register(fx.api, 'Preauth Co');
  key = user.key('k');
  // One after the other: createApp adds each app's port to the one known_hosts file.
  apps = [await createApp(fx.api, owner, user, key, { name: 'one' })];
  apps.push(await createApp(fx.api, owner, user, key, { name: 'two' }));
});

describe('SSH before authentication', () => {
  /*
   * Attack: a flood of `none` authentication requests, which cost the client nothing.
   * Expected: `none` is answered from memory, without a database query, and counts as a
   *   try: a connection is closed after SSH_MAX_AUTH_TRIES of them. 300 requests over
   *   5 connections cause no more commits than the gateway's background work.
   * Reference: OWASP API Security Top 10 2023, API4:2023 Unrestricted Resource
   *   Consumption (unauthenticated requests amplified into database work).
   */
  it('answers `none` without a database query and counts it as a try', async () => {
    const before = await commits();
    const flood = await Promise.all(Array.from({ length: 5 }, () => attempt(apps[0].sshPort, Array.from({ length: 60 }, () => ({ type: 'none' as const })))));
    const after = await commits();
    for (const connection of flood) {
      expect(connection.closedByServer).toBe(true);
      expect(connection.refused).toBeLessThanOrEqual(MAX_AUTH_TRIES);
    }
    // What the gateway's own sync and the worker commit in those ~25 s, far below one per request.
    expect(after - before).toBeLessThan(100);
  });

  /*
   * Attack: a client that offers only finite-field Diffie-Hellman key exchanges, whose
   *   modular exponentiation (group 18: 8192 bits) costs the server tens of milliseconds
   *   of CPU per handshake on the event loop it shares with the API.
   * Expected: refused at key exchange ("no matching key exchange method"): only
   *   curve25519 and ECDH are offered.
   * Reference: OWASP API Security Top 10 2023, API4:2023 Unrestricted Resource Consumption.
   */
  it('refuses clients that offer only diffie-hellman group 14, 16 or 18 key exchanges', async () => {
    for (const kex of ['diffie-hellman-group18-sha512', 'diffie-hellman-group16-sha512', 'diffie-hellman-group14-sha256']) {
      const run = await runTool('ssh', ['-o', 'LogLevel=INFO', '-o', `KexAlgorithms=${kex}`, ...user.options(key.path), '-p', String(apps[0].sshPort), 'app@127.0.0.1', 'true']);
      expect(run.code, kex).toBe(255);
      expect(run.stderr).toMatch(/no matching key exchange method/);
    }
  });

  /*
   * Attack: many TCP connections from one address that never log in, each holding a
   *   socket, a protocol state and a key exchange on the gateway.
   * Expected: past SSH_UNAUTHENTICATED_PER_IP unauthenticated connections from one
   *   address, counted over all endpoints of the gateway, a new one is closed at once,
   *   before the server's SSH banner (no key exchange work).
   * Reference: OWASP API Security Top 10 2023, API4:2023 Unrestricted Resource Consumption.
   */
  it(`closes unauthenticated connections past ${PER_IP} from one address at once`, async () => {
    const held = await hold(PER_IP + 5, ['127.0.0.1']);
    held.release();
    expect({ served: held.served, refused: held.refused }).toEqual({ served: PER_IP, refused: 5 });
  });

  /*
   * Attack: the same from many addresses, so that no per-address cap is reached.
   * Expected: past SSH_UNAUTHENTICATED_MAX unauthenticated connections in all, a new one
   *   is closed at once, before the banner.
   * Reference: OWASP API Security Top 10 2023, API4:2023 Unrestricted Resource Consumption.
   */
  it(`closes unauthenticated connections past ${MAX} in all at once`, async () => {
    // The previous test's connections are gone once a login from 127.0.0.1 works again.
    await eventually('slots are free again', async () => (await user.ssh(apps[0].sshPort, key.path, ['true'])).code === 0);
    const held = await hold(MAX + 5, ['127.0.0.2', '127.0.0.3', '127.0.0.4']);
    held.release();
    expect({ served: held.served, refused: held.refused }).toEqual({ served: MAX, refused: 5 });
  });
});
