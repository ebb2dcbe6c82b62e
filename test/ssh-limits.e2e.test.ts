// The SSH gateway's limits: time to authenticate, failures per connection and per address.
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { eventually } from './support/docker.js';
import { useBerth } from './support/fixture.js';
import { register, waitForOperation } from './support/http.js';
import { runTool, SshUser } from './support/ssh.js';

const fx = useBerth('sshlimits', {
  BERTH_ROLES: 'api,worker,ssh',
  SSH_SYNC_INTERVAL_MS: '200',
  // Long enough for three password prompts on a loaded machine (the second test), short
  // enough that the first test does not wait long.
  SSH_AUTH_TIMEOUT_MS: '4000',
  SSH_MAX_AUTH_TRIES: '3',
  SSH_FAILURES_PER_IP: '5',
});
const user = new SshUser();
let key: { path: string; pub: string };
let port: number;

beforeAll(async () => {
  const owner = await register(fx.api, 'Limits Co');
  key = user.key('k');
  const plan = (await fx.api.get(`/${owner.company.id}/plans/`, { token: owner.token })).body[0].id;
  const app = await fx.api.post(`/${owner.company.id}/apps/`, {
    token: owner.token,
    body: { name: 'limited', image: 'berth/runtime:2026.11-1', plan, ssh_keys: [key.pub], ssh_password: 'the right password' },
  });
  await waitForOperation(fx.api, owner.token, owner.company.id, app.body.operation_id);
  port = app.body.ssh_access[0].port;
  const hostKey = (await fx.api.get('/ssh-host-keys/', { token: owner.token })).body[0].public_key;
  user.trust([port], hostKey);
  await eventually('the endpoint answers', async () => (await user.ssh(port, key.path, ['true'])).code === 0);
});

describe('SSH limits', () => {
  it('closes a connection that does not authenticate in time', async () => {
    const started = Date.now();
    const socket = connect(port, '127.0.0.1');
    let banner = '';
    socket.on('data', (chunk) => (banner += chunk));
    socket.write('SSH-2.0-OpenSSH_9.2 silent\r\n');
    await new Promise((resolve) => socket.on('close', resolve));
    const elapsed = Date.now() - started;
    expect(banner).toMatch(/^SSH-2\.0-Berth/);
    expect(elapsed).toBeGreaterThanOrEqual(3900);
    expect(elapsed).toBeLessThan(15_000);
  });

  it('closes a connection after SSH_MAX_AUTH_TRIES failures, then refuses the address for a while', async () => {
    // An askpass that records each question: the server asks three times, not the ten the client would.
    const asked = join(user.dir, 'asked');
    writeFileSync(asked, '');
    const askpass = join(user.dir, 'counting-askpass');
    writeFileSync(askpass, `#!/bin/sh\necho x >> '${asked}'\necho wrong password\n`);
    chmodSync(askpass, 0o700);
    const args = [...user.options(key.path, false), '-o', 'PreferredAuthentications=password', '-o', 'PubkeyAuthentication=no',
      '-o', 'NumberOfPasswordPrompts=10', '-p', String(port), 'app@127.0.0.1', 'true'];
    const run = await runTool('ssh', args, { env: { SSH_ASKPASS: askpass, SSH_ASKPASS_REQUIRE: 'force', DISPLAY: 'none' } });
    expect(run.code).toBe(255);
    expect(readFileSync(asked, 'utf8').trim().split('\n')).toHaveLength(3);

    // Two more failures reach SSH_FAILURES_PER_IP=5: now even the right key is turned away.
    const stranger = user.key('stranger');
    for (let i = 0; i < 2; i++) expect((await user.ssh(port, stranger.path, ['true'])).code).toBe(255);
    const refused = await user.ssh(port, key.path, ['echo', 'in']);
    expect(refused.code).toBe(255);
    expect(refused.stdout.toString()).toBe('');
  });
});
