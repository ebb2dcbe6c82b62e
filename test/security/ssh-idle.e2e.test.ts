// Attack catalogue: SSH connections left open and idle.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApp, TestApp } from '../support/apps.js';
import { useBerth } from '../support/fixture.js';
import { register } from '../support/http.js';
import { SshUser } from '../support/ssh.js';
import { exitWithin, liveSsh, login, settlesWithin } from './ssh-clients.js';

const IDLE_MS = 2000;
const fx = useBerth('secidle', { BERTH_ROLES: 'api,worker,ssh', SSH_SYNC_INTERVAL_MS: '200', SSH_IDLE_TIMEOUT_MS: String(IDLE_MS) });
const user = new SshUser();
let key: { path: string; pub: string };
let app: TestApp;

beforeAll(async () => {
  key = user.key('k');
  app = await createApp(fx.api, await register(fx.api, 'Idle Co'), user, key, { name: 'idle' });
});

describe('SSH idle connections', () => {
  /*
   * Attack: logged-in connections opened and left idle (a forgotten terminal on a
   *   shared machine, or a client hoarding connections and the gateway's memory).
   * Expected: a connection with no channel traffic for SSH_IDLE_TIMEOUT_MS is closed,
   *   whether it has no channel at all or a silent command; a session that keeps
   *   talking is not.
   * Reference: OWASP API Security Top 10 2023, API4:2023 Unrestricted Resource
   *   Consumption; OWASP Session Management Cheat Sheet, "Idle Timeout".
   */
  it('closes a connection without channels after the idle timeout', async () => {
    const { client, closed } = await login(app.sshPort, { privateKey: readFileSync(key.path) });
    try {
      expect(await settlesWithin(closed, 10 * IDLE_MS)).toBe(true);
    } finally {
      client.end();
    }
  });

  /*
   * Attack: a session whose command says nothing for a long time (or a shell left
   *   waiting), holding its connection open.
   * Expected: closed after SSH_IDLE_TIMEOUT_MS without output or input; a session
   *   that keeps talking stays.
   * Reference: API4:2023 Unrestricted Resource Consumption; OWASP Session Management
   *   Cheat Sheet, "Idle Timeout".
   */
  it('closes a silent session after the idle timeout, and leaves a talking one alone', async () => {
    const command = (script: string) => [...user.options(key.path), '-p', String(app.sshPort), 'app@127.0.0.1', script];
    const silent = liveSsh(command('echo started; sleep 120'));
    const talking = liveSsh(command('while :; do echo tick; sleep 0.3; done'));
    try {
      await Promise.all([silent.started, talking.started]);
      expect(await exitWithin(silent.exited, 10 * IDLE_MS)).toBe(255);
      // By now the talking session has lived well past the timeout.
      expect(await exitWithin(talking.exited, 2 * IDLE_MS)).toBe('running');
    } finally {
      silent.kill();
      talking.kill();
    }
  });
});
