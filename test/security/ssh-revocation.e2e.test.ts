// Attack catalogue: keeping SSH access after it was taken away.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApp, Owner, TestApp } from '../support/apps.js';
import { useBerth } from '../support/fixture.js';
import { register, waitForOperation } from '../support/http.js';
import { SshUser } from '../support/ssh.js';
import { exitWithin, liveSsh, login, run, settlesWithin } from './ssh-clients.js';

const fx = useBerth('secrevoke', { BERTH_ROLES: 'api,worker,ssh', SSH_SYNC_INTERVAL_MS: '200', JOB_BACKOFF_MS: '200' });
const user = new SshUser();
// Output every half second: these sessions are busy, never idle.
const TALKING = 'while :; do echo tick; sleep 0.5; done';
// Revocation follows the gateway's sync (200 ms here); generous for a loaded machine.
const WITHIN_MS = 10_000;
let owner: Owner;
let kept: { path: string; pub: string };
let revoked: { path: string; pub: string };
let keys: TestApp;
let stopped: TestApp;
let deleted: TestApp;

const appPath = (app: TestApp) => `/${owner.company.id}/apps/${app.id}/`;
const session = (app: TestApp, key: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}) =>
  liveSsh([...user.options(key, extra.length === 0), ...extra, '-p', String(app.sshPort), 'app@127.0.0.1', TALKING], env);

beforeAll(async () => {
  owner = await register(fx.api, 'Revoke Co');
  kept = user.key('kept');
  revoked = user.key('revoked');
  // One after the other: createApp adds each app's port to the one known_hosts file.
  keys = await createApp(fx.api, owner, user, kept, { name: 'keys', ssh_keys: [kept.pub, revoked.pub], ssh_password: 'soon removed' });
  stopped = await createApp(fx.api, owner, user, kept, { name: 'stopped' });
  deleted = await createApp(fx.api, owner, user, kept, { name: 'deleted' });
});

describe('SSH access taken away', () => {
  /*
   * Attack: an SSH connection opened with a key that the owner then removes (a leaked
   *   or departed person's key) stays in: it keeps its shell and opens new channels.
   * Expected: within seconds of the key's removal through the API, every connection
   *   that logged in with that key is closed; sessions of the app's other keys go on.
   * Reference: OWASP API Security Top 10 2023, API2:2023 Broken Authentication;
   *   OWASP Authentication Cheat Sheet (revoke sessions when credentials change).
   */
  it('closes the connections of a removed key within seconds, and only those', async () => {
    const gone = session(keys, revoked.path);
    const stays = session(keys, kept.path);
    const attacker = await login(keys.sshPort, { privateKey: readFileSync(revoked.path) });
    try {
      await Promise.all([gone.started, stays.started]);
      const put = await fx.api.put(appPath(keys), { token: owner.token, body: { ssh_keys: [kept.pub] } });
      expect(put.status).toBe(200);
      expect(await exitWithin(gone.exited, WITHIN_MS)).toBe(255);
      expect(await settlesWithin(attacker.closed, WITHIN_MS)).toBe(true);
      expect(await exitWithin(stays.exited, 1000)).toBe('running');
    } finally {
      gone.kill();
      stays.kill();
      attacker.client.end();
    }
  });

  /*
   * Attack: the same with the app's password, after the owner removed it.
   * Expected: the password's connections are closed within seconds.
   * Reference: API2:2023 Broken Authentication; OWASP Authentication Cheat Sheet.
   */
  it('closes a password session within seconds of the password’s removal', async () => {
    const args = ['-o', 'PreferredAuthentications=password', '-o', 'PubkeyAuthentication=no', '-o', 'NumberOfPasswordPrompts=1'];
    const live = session(keys, kept.path, args, user.askpass('soon removed'));
    try {
      await live.started;
      await fx.api.patch(appPath(keys), { token: owner.token, body: { ssh_password: null } });
      expect(await exitWithin(live.exited, WITHIN_MS)).toBe(255);
    } finally {
      live.kill();
    }
  });

  /*
   * Attack: a connection kept open while the owner stops the app, to go on using it
   *   (new channels, storage tunnels) when the owner believes it is shut.
   * Expected: the connection itself is closed within seconds of the stop, not only the
   *   command that ran in the stopped container.
   * Reference: API2:2023 Broken Authentication.
   */
  it('closes a stopped app’s connections within seconds', async () => {
    const { client, closed } = await login(stopped.sshPort, { privateKey: readFileSync(kept.path) });
    try {
      await run(client, TALKING);
      const stop = await fx.api.put(`/${owner.company.id}/apps-action/${stopped.id}/`, { token: owner.token, body: { action: 'stop' } });
      expect(stop.status).toBe(200);
      expect(await settlesWithin(closed, WITHIN_MS)).toBe(true);
      await waitForOperation(fx.api, owner.token, owner.company.id, stop.body.operation_id);
    } finally {
      client.end();
    }
  });

  /*
   * Attack: a session kept open while the owner deletes the app.
   * Expected: the session ends within seconds of the delete.
   * Reference: API2:2023 Broken Authentication.
   */
  it('closes a deleted app’s sessions within seconds', async () => {
    const live = session(deleted, kept.path);
    try {
      await live.started;
      const gone = await fx.api.delete(appPath(deleted), { token: owner.token });
      expect(gone.status).toBe(200);
      // 255 when the gateway closes the connection first, 137 when the container's removal kills the command first.
      expect(await exitWithin(live.exited, WITHIN_MS)).not.toBe('running');
    } finally {
      live.kill();
    }
  });
});
