// Attack catalogue: guessing an app's SSH password from one address.
import { beforeAll, describe, expect, it } from 'vitest';
import { createApp, Owner, TestApp } from '../support/apps.js';
import { useBerth } from '../support/fixture.js';
import { register } from '../support/http.js';
import { SshUser } from '../support/ssh.js';
import { attempt } from './ssh-clients.js';

const FAILURES_PER_IP = 30;
const fx = useBerth('secbrute', {
  BERTH_ROLES: 'api,worker,ssh',
  SSH_SYNC_INTERVAL_MS: '200',
  SSH_FAILURES_PER_IP: String(FAILURES_PER_IP),
  // Room for every guess of one connection: the limit under attack is the address's, not the connection's.
  SSH_MAX_AUTH_TRIES: '10',
  // Ten parallel connections from one address are what this attacker uses; that cap is tested elsewhere.
  SSH_UNAUTHENTICATED_PER_IP: '20',
  // Every guess is an argon2 check (64 MiB, about a second on a busy 2-core machine): time for all of them.
  SSH_AUTH_TIMEOUT_MS: '600000',
});
const user = new SshUser();
const PASSWORD = 'the one right password';
let owner: Owner;
let app: TestApp;

beforeAll(async () => {
  owner = await register(fx.api, 'Brute Co');
  app = await createApp(fx.api, owner, user, user.key('k'), { name: 'target', ssh_password: PASSWORD });
});

describe('SSH brute force', () => {
  /*
   * Attack: online password guessing spread over parallel connections, so that every
   *   connection starts while the address's failure count is still low.
   * Expected: the address's budget (SSH_FAILURES_PER_IP) is taken atomically by each
   *   guess before it is checked: of 60 guesses over 10 connections at most 30 are
   *   evaluated, the rest are cut off unanswered, and afterwards even the right password
   *   is refused from that address.
   * Reference: OWASP API Security Top 10 2023, API2:2023 Broken Authentication (no
   *   effective limit on credential guessing); OWASP Authentication Cheat Sheet,
   *   "Protect against automated attacks" (login throttling per source).
   */
  it(`evaluates at most ${FAILURES_PER_IP} of 60 parallel wrong guesses, then refuses the address`, async () => {
    const connections = Array.from({ length: 10 }, (_, c) =>
      attempt(app.sshPort, Array.from({ length: 6 }, (_, g) => ({ type: 'password' as const, password: `guess ${c}-${g}` }))),
    );
    const results = await Promise.all(connections);
    const evaluated = results.reduce((sum, r) => sum + r.refused, 0);
    expect(results.some((r) => r.accepted)).toBe(false);
    expect(evaluated).toBeGreaterThan(0);
    expect(evaluated).toBeLessThanOrEqual(FAILURES_PER_IP);

    const right = await attempt(app.sshPort, [{ type: 'password', password: PASSWORD }]);
    expect(right.accepted).toBe(false);
  }, 300_000);
});
