// An app's SSH port that the gateway cannot listen on (another process on the host holds it):
// apps-status says so instead of leaving the tenant to guess, and the endpoint opens, and the
// report goes, once the port is free.
import { once } from 'node:events';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { dockerEnv, eventually } from './support/docker.js';
import { useBerth } from './support/fixture.js';
import { register, waitForOperation } from './support/http.js';
import { SshUser } from './support/ssh.js';

// One port in the range: the app is bound to get the one held below.
const PORT = Number(dockerEnv().SSH_PORTS.split('-')[0]);
const fx = useBerth('sshport', { BERTH_ROLES: 'api,worker,ssh', SSH_SYNC_INTERVAL_MS: '200', SSH_PORTS: `${PORT}-${PORT}` });
const user = new SshUser();
const key = user.key('k');

describe('an SSH port held by another process', () => {
  it('is reported in apps-status until it comes free, then the app takes SSH logins there', async () => {
    const squatter = createServer((socket) => socket.end('not berth\n'));
    squatter.listen(PORT, '127.0.0.1');
    await once(squatter, 'listening');

    const owner = await register(fx.api, 'Port Co');
    const plans = (await fx.api.get(`/${owner.company.id}/plans/`, { token: owner.token })).body;
    const created = await fx.api.post(`/${owner.company.id}/apps/`, { token: owner.token, body: { name: 'portless', plan: plans[0].id, image: 'berth/runtime:2026.11-1', ssh_keys: [key.pub] } });
    expect(created.status, created.text).toBe(200);
    expect(created.body.ssh_access[0].port).toBe(PORT);
    expect((await waitForOperation(fx.api, owner.token, owner.company.id, created.body.operation_id)).status).toBe('success');
    const status = () => fx.api.get(`/${owner.company.id}/apps-status/${created.body.id}/`, { token: owner.token }).then((r) => r.body);

    const reported = await eventually('apps-status reports the SSH port', async () => {
      const errors: string[] = (await status()).errors;
      return errors.find((e) => e.startsWith(`SSH on port ${PORT} is not available`));
    });
    expect(reported).toMatch(/another process on the host holds that port/);
    // The operator hears of it once, not at every sync (five more of them here).
    await fx.berth.waitForLog(/cannot listen: /);
    await new Promise((r) => setTimeout(r, 1000));
    expect(fx.berth.logs().match(/cannot listen: /g)?.length).toBe(1);

    squatter.close();
    await once(squatter, 'close');
    user.trust([PORT], (await fx.api.get('/ssh-host-keys/', { token: owner.token })).body[0].public_key);
    await eventually('the app takes SSH logins', async () => (await user.ssh(PORT, key.path, ['true'])).code === 0);
    expect((await status()).errors.filter((e: string) => e.startsWith('SSH on port'))).toEqual([]);
    await fx.berth.waitForLog(/ssh endpoint listening now/);
  }, 180_000);
});
