// Attack catalogue: one tenant's SSH session taking the gateway down for every tenant.
import { spawn } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApp, TestApp } from '../support/apps.js';
import { useBerth } from '../support/fixture.js';
import { register } from '../support/http.js';
import { SshUser } from '../support/ssh.js';

// All in one process, as Berth runs by default: the gateway going down takes the API with it.
const fx = useBerth('seccrash', { BERTH_ROLES: 'api,worker,ssh', SSH_SYNC_INTERVAL_MS: '200' });
const user = new SshUser();
let attacker: { app: TestApp; key: string };
let victim: { app: TestApp; key: string };

beforeAll(async () => {
  const [a, v] = [user.key('attacker'), user.key('victim')];
  attacker = { app: await createApp(fx.api, await register(fx.api, 'Attacker Co'), user, a, { name: 'flood' }), key: a.path };
  victim = { app: await createApp(fx.api, await register(fx.api, 'Victim Co'), user, v, { name: 'bystander' }), key: v.path };
}, 180_000);

/**
 * Runs `command` over SSH with stdin flooded (64 KiB chunks, as fast as the client takes them)
 * until the client ends, or kills the client after `killMs`.
 */
function flood(command: string, killMs: number, tty = false): Promise<void> {
  return new Promise((resolve) => {
    const args = [...user.options(attacker.key), ...(tty ? ['-tt'] : []), '-p', String(attacker.app.sshPort), `app@${user.host}`, command];
    const child = spawn('ssh', args, { stdio: ['pipe', 'ignore', 'ignore'] });
    const chunk = Buffer.alloc(64 * 1024, 'x');
    const pump = () => {
      while (!child.stdin.destroyed && child.stdin.write(chunk));
    };
    child.stdin.on('error', () => undefined);
    child.stdin.on('drain', pump);
    pump();
    const timer = setTimeout(() => child.kill('SIGKILL'), killMs);
    child.on('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

describe('an SSH session that ends while its input still flows', () => {
  /*
   * Attack: a tenant feeds input to a command that exits without reading it (`head -c 1`, a
   *   shell killing itself), or drops the connection while input and output flow. The process's
   *   end in the container closes the engine's exec connection under the input still being
   *   written: EPIPE. Unhandled, that error ended the whole Berth process, every tenant's SSH
   *   endpoints with it (and the API and workers beside them), as often as the tenant liked.
   * Expected: the gateway ends that session only. The process keeps running; the API answers;
   *   another company's app still takes SSH logins; the attacker's own next login works.
   * Reference: OWASP API Security Top 10 2023, API4:2023 Unrestricted Resource Consumption
   *   (availability); CWE-248, Uncaught Exception.
   */
  it('ends that session only: the gateway, the API and the other tenants go on', async () => {
    for (let round = 0; round < 6; round++) {
      await Promise.all([
        flood('head -c 1 >/dev/null', 5000),
        flood('head -c 1 >/dev/null', 5000),
        flood('kill -9 $$', 5000),
        flood('exit 3', 5000, true),
        flood('yes', 200 + round * 60),
        flood('cat >/dev/null', 200 + round * 60),
      ]);
      expect(fx.berth.process.exitCode, fx.berth.describe()).toBeNull();
    }
    expect(fx.berth.process.signalCode, fx.berth.describe()).toBeNull();
    expect((await fx.api.get('/health')).status).toBe(200);
    const bystander = await user.ssh(victim.app.sshPort, victim.key, ['echo', 'still here']);
    expect(bystander.stdout.toString(), bystander.stderr).toBe('still here\n');
    const again = await user.ssh(attacker.app.sshPort, attacker.key, ['echo', 'back']);
    expect(again.stdout.toString(), again.stderr).toBe('back\n');
  }, 180_000);
});
