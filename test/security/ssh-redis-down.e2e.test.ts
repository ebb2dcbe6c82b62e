// Attack catalogue: guessing an app's SSH password while Redis (where failures are counted) is down.
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, Owner, TestApp } from '../support/apps.js';
import { eventually } from '../support/docker.js';
import { useBerth } from '../support/fixture.js';
import { register } from '../support/http.js';
import { freePort, startRedis, stopRedis } from '../support/private-redis.js';
import { SshUser } from '../support/ssh.js';
import { attempt } from './ssh-clients.js';

const PASSWORD = 'the one right password';
const port = await freePort();
let redis: ChildProcess = await startRedis(port);
// Stopped after its Redis (afterAll runs in reverse): its queues would wait for that Redis for ever.
const fx = useBerth('secsshredis', { BERTH_ROLES: 'api,worker,ssh', SSH_SYNC_INTERVAL_MS: '200', REDIS_URL: `redis://127.0.0.1:${port}`, SHUTDOWN_TIMEOUT_MS: '5000' });
afterAll(() => stopRedis(redis));
const user = new SshUser();
const key = user.key('k');
let owner: Owner;
let app: TestApp;

beforeAll(async () => {
  owner = await register(fx.api, 'Redisless Co');
  app = await createApp(fx.api, owner, user, key, { name: 'target', ssh_password: PASSWORD });
});

describe('SSH while the failure counter is away', () => {
  /*
   * Attack: the address's failed logins (SSH_FAILURES_PER_IP) are counted in Redis. While Redis is
   *   down or unreachable, an attacker's guesses went uncounted: password guessing without limit.
   * Expected: while Redis is down, password logins are refused without being evaluated (even the
   *   right password), as API logins answer 503; key logins still work (a key cannot be guessed).
   *   When Redis is back, the password works again.
   * Reference: OWASP API Security Top 10 2023, API2:2023 Broken Authentication; OWASP
   *   Authentication Cheat Sheet, "Protect against automated attacks" (a throttle that fails
   *   open is no throttle).
   */
  it('refuses passwords, and still takes keys, until the counter is back', async () => {
    expect((await attempt(app.sshPort, [{ type: 'password', password: PASSWORD }])).accepted).toBe(true);

    await stopRedis(redis);
    const guesses = await attempt(app.sshPort, [
      { type: 'password', password: 'guess 1' },
      { type: 'password', password: PASSWORD },
    ]);
    expect(guesses.accepted).toBe(false);
    expect(guesses.refused).toBe(2);
    await fx.berth.waitForLog(/ssh failure limit unavailable: password refused/);
    const shell = await user.ssh(app.sshPort, key.path, ['echo', 'in']);
    expect(shell.stdout.toString().trim(), shell.stderr).toBe('in');

    redis = await startRedis(port);
    // ioredis reconnects within a couple of seconds.
    await eventually('the password works again', async () => (await attempt(app.sshPort, [{ type: 'password', password: PASSWORD }])).accepted, 20_000);
  }, 120_000);
});
