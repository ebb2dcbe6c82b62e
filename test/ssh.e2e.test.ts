// The SSH gateway with the real OpenSSH client tools: ssh, scp, sftp and rsync into apps' containers.
import { createHash, randomBytes } from 'node:crypto';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { eventually } from './support/docker.js';
import { useBerth } from './support/fixture.js';
import { client, register, waitForOperation } from './support/http.js';
import { startBerth } from './support/server.js';
import { runTool, SshUser } from './support/ssh.js';

const fx = useBerth('ssh', { BERTH_ROLES: 'api,worker,ssh', SSH_SYNC_INTERVAL_MS: '200', JOB_BACKOFF_MS: '200' });
const IMAGE = 'berth/runtime:2026.11-1';
const user = new SshUser();
const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');

let owner: Awaited<ReturnType<typeof register>>;
let hostKey: { public_key: string; fingerprint: string };
let keyA: { path: string; pub: string };
let keyB: { path: string; pub: string };
let appA: any;
let appB: any;
let port: number;

async function createApp(name: string, body: Record<string, unknown>) {
  const plan = (await fx.api.get(`/${owner.company.id}/plans/`, { token: owner.token })).body[0].id;
  const created = await fx.api.post(`/${owner.company.id}/apps/`, { token: owner.token, body: { name, image: IMAGE, plan, ...body } });
  expect(created.status, created.text).toBe(200);
  expect((await waitForOperation(fx.api, owner.token, owner.company.id, created.body.operation_id)).status).toBe('success');
  return created.body;
}

beforeAll(async () => {
  owner = await register(fx.api, 'Deploy Co');
  keyA = user.key('a');
  keyB = user.key('b');
  appA = await createApp('alpha', { ssh_keys: [keyA.pub] });
  appB = await createApp('beta', { ssh_keys: [keyB.pub] });
  port = appA.ssh_access[0].port;
  const keys = await fx.api.get('/ssh-host-keys/', { token: owner.token });
  hostKey = keys.body[0];
  user.trust([port, appB.ssh_access[0].port], hostKey.public_key);
  await eventually('the endpoint answers', async () => (await user.ssh(port, keyA.path, ['echo', '1'])).stdout.toString() === '1\n');
});

describe('SSH endpoint', () => {
  it('is on the app: user app, the port in ssh_access, a persistent ed25519 host key whose fingerprint the API gives', async () => {
    expect(appA.ssh_access).toEqual([{ hostname: 'localhost', port, username: 'app' }]);
    expect(appB.ssh_access[0].port).not.toBe(port);
    expect(hostKey.public_key).toMatch(/^ssh-ed25519 AAAA/);
    const keygen = execFileSync('ssh-keygen', ['-lf', '-'], { input: hostKey.public_key }).toString();
    expect(keygen).toContain(hostKey.fingerprint);
    // The client checked the host key strictly against the API's: it connected.
    const run = await user.ssh(port, keyA.path, ['id', '-un']);
    expect(run.stdout.toString()).toBe('app\n');
  });

  it('runs commands in the container as app, keeps stdout and stderr apart, and passes the exit status', async () => {
    const run = await user.ssh(port, keyA.path, ['echo out; echo err >&2; hostname; exit 3']);
    expect(run.code).toBe(3);
    expect(run.stdout.toString()).toBe(`out\napp-${appA.id}\n`);
    expect(run.stderr).toBe('err\n');
    expect((await user.ssh(port, keyA.path, ['pwd; echo $HOME'])).stdout.toString()).toBe('/srv\n/srv\n');
  });

  it('passes binary data unharmed both ways', async () => {
    const data = randomBytes(2 * 1024 * 1024);
    const up = await user.ssh(port, keyA.path, ['cat > /srv/var/blob && sha256sum /srv/var/blob'], { input: data });
    expect(up.stdout.toString().split(' ')[0]).toBe(sha(data));
    const down = await user.ssh(port, keyA.path, ['cat /srv/var/blob']);
    expect(sha(down.stdout)).toBe(sha(data));
  });

  it('syncs a tree with rsync -az and gives it back unchanged', async () => {
    const tree = join(user.dir, 'tree');
    mkdirSync(join(tree, 'deep/er'), { recursive: true });
    writeFileSync(join(tree, 'big.bin'), randomBytes(3 * 1024 * 1024));
    writeFileSync(join(tree, 'deep/er/small.txt'), 'small\n');
    for (let i = 0; i < 50; i++) writeFileSync(join(tree, `deep/f${i}.txt`), randomBytes(i * 100));
    const rsync = (from: string, to: string) => runTool('rsync', ['-az', '--delete', '-e', user.rsyncShell(port, keyA.path), from, to]);
    const up = await rsync(`${tree}/`, `app@127.0.0.1:/srv/app/tree/`);
    expect(up.code, up.stderr).toBe(0);
    const back = join(user.dir, 'back');
    const down = await rsync(`app@127.0.0.1:/srv/app/tree/`, `${back}/`);
    expect(down.code, down.stderr).toBe(0);
    expect((await runTool('diff', ['-r', tree, back])).code).toBe(0);
    // A second run has nothing to send.
    const again = await runTool('rsync', ['-az', '--stats', '-e', user.rsyncShell(port, keyA.path), `${tree}/`, `app@127.0.0.1:/srv/app/tree/`]);
    expect(again.stdout.toString()).toMatch(/Number of regular files transferred: 0/);
  });

  it('copies with scp both ways, the legacy scp -O protocol included', async () => {
    const file = join(user.dir, 'scp.bin');
    writeFileSync(file, randomBytes(500_000));
    const opts = [...user.options(keyA.path), '-P', String(port)];
    for (const legacy of [[], ['-O']]) {
      const up = await runTool('scp', [...legacy, ...opts, file, `app@127.0.0.1:/srv/var/scp${legacy.length}.bin`]);
      expect(up.code, up.stderr).toBe(0);
      const copy = join(user.dir, `scp-back${legacy.length}.bin`);
      const down = await runTool('scp', [...legacy, ...opts, `app@127.0.0.1:/srv/var/scp${legacy.length}.bin`, copy]);
      expect(down.code, down.stderr).toBe(0);
      expect(sha(readFileSync(copy))).toBe(sha(readFileSync(file)));
    }
  });

  it('runs an sftp -b batch through the container’s sftp-server', async () => {
    const local = join(user.dir, 'put.txt');
    writeFileSync(local, 'via sftp\n');
    const batch = join(user.dir, 'batch');
    writeFileSync(batch, `mkdir /srv/var/dir\nput ${local} /srv/var/dir/put.txt\nrename /srv/var/dir/put.txt /srv/var/dir/moved.txt\nls /srv/var/dir\nget /srv/var/dir/moved.txt ${local}.back\n`);
    const run = await runTool('sftp', [...user.options(keyA.path), '-P', String(port), '-b', batch, 'app@127.0.0.1']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.toString()).toContain('moved.txt');
    expect(readFileSync(`${local}.back`, 'utf8')).toBe('via sftp\n');
    expect((await user.ssh(port, keyA.path, ['stat -c %U /srv/var/dir/moved.txt'])).stdout.toString()).toBe('app\n');
  });

  it('gives an interactive shell a pty of the client’s size and follows window changes', async () => {
    // script(1) gives ssh a real terminal of 40x100, then resizes it to 50x120 while the remote side waits.
    const remote = `stty size; sleep 2; stty size; tty`;
    const inner = `stty rows 40 cols 100; ssh ${user.options(keyA.path).join(' ')} -tt -p ${port} app@127.0.0.1 '${remote}' </dev/tty & sleep 1; stty rows 50 cols 120; wait`;
    const run = await runTool('script', ['-qfec', inner, '/dev/null']);
    const lines = run.stdout.toString().replace(/\0|\^@/g, '').split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
    expect(lines).toContain('40 100');
    expect(lines).toContain('50 120');
    expect(lines.some((l) => l.startsWith('/dev/pts/'))).toBe(true);
    const shell = await runTool('ssh', [...user.options(keyA.path), '-tt', '-p', String(port), 'app@127.0.0.1'], { input: 'echo $TERM; exit 7\n' });
    expect(shell.code).toBe(7);
  });

  it('refuses a key that is not on the app, another app’s key, and users other than app', async () => {
    const stranger = user.key('stranger');
    const refused = await user.ssh(port, stranger.path, ['true']);
    expect(refused.code).toBe(255);
    expect(refused.stderr).toMatch(/Permission denied/);
    expect((await user.ssh(port, keyB.path, ['true'])).code).toBe(255);
    expect((await user.ssh(appB.ssh_access[0].port, keyB.path, ['id -un'])).stdout.toString()).toBe('app\n');
    const root = await runTool('ssh', [...user.options(keyA.path), '-p', String(port), 'root@127.0.0.1', 'true']);
    expect(root.code).toBe(255);
  });

  it('applies key changes from the API at the next connection, without a restart', async () => {
    const added = user.key('added');
    const put = await fx.api.put(`/${owner.company.id}/apps/${appA.id}/`, { token: owner.token, body: { ssh_keys: [keyA.pub, added.pub] } });
    expect(put.status).toBe(200);
    expect((await user.ssh(port, added.path, ['echo', 'in'])).stdout.toString()).toBe('in\n');
    await fx.api.put(`/${owner.company.id}/apps/${appA.id}/`, { token: owner.token, body: { ssh_keys: [keyA.pub] } });
    expect((await user.ssh(port, added.path, ['true'])).code).toBe(255);
  });

  it('logs in with the app’s password when one is set, and not otherwise', async () => {
    const args = [...user.options(keyA.path, false), '-o', 'PreferredAuthentications=password', '-o', 'PubkeyAuthentication=no', '-o', 'NumberOfPasswordPrompts=1', '-p', String(port), 'app@127.0.0.1', 'id -un'];
    expect((await runTool('ssh', args, { env: user.askpass('correct horse staple') })).code).toBe(255);
    await fx.api.patch(`/${owner.company.id}/apps/${appA.id}/`, { token: owner.token, body: { ssh_password: 'correct horse staple' } });
    const ok = await runTool('ssh', args, { env: user.askpass('correct horse staple') });
    expect(ok.stdout.toString(), ok.stderr).toBe('app\n');
    expect((await runTool('ssh', args, { env: user.askpass('wrong horse staple') })).code).toBe(255);
    await fx.api.patch(`/${owner.company.id}/apps/${appA.id}/`, { token: owner.token, body: { ssh_password: null } });
    expect((await runTool('ssh', args, { env: user.askpass('correct horse staple') })).code).toBe(255);
  });

  it('offers no port, agent or X11 forwarding, and no SHA-1 algorithms', async () => {
    const forward = await user.ssh(port, keyA.path, [], { args: ['-W', '127.0.0.1:8080'] });
    expect(forward.code).toBe(255);
    expect(forward.stderr).toMatch(/open failed|prohibited|forwarding failed/i);
    const remote = await user.ssh(port, keyA.path, ['true'], { args: ['-o', 'ExitOnForwardFailure=yes', '-R', '0:127.0.0.1:9'] });
    expect(remote.code).toBe(255);
    // Agent forwarding asked for, with a real agent: the session gets no agent socket.
    const agentSocket = join(user.dir, 'agent.sock');
    const agent = spawn('ssh-agent', ['-D', '-a', agentSocket], { stdio: 'ignore' });
    try {
      await eventually('ssh-agent listens', async () => existsSync(agentSocket));
      const forwarded = await runTool('ssh', [...user.options(keyA.path), '-o', 'ForwardAgent=yes', '-p', String(port), 'app@127.0.0.1', 'echo "agent=${SSH_AUTH_SOCK:-none}"'], { env: { SSH_AUTH_SOCK: agentSocket } });
      expect(forwarded.stdout.toString()).toBe('agent=none\n');
    } finally {
      agent.kill();
    }
    // X11 forwarding asked for: refused, and the session has no display.
    const x11 = await runTool('ssh', ['-o', 'LogLevel=INFO', ...user.options(keyA.path), '-o', 'ForwardX11=yes', '-p', String(port), 'app@127.0.0.1', 'echo "display=${DISPLAY:-none}"'], { env: { DISPLAY: ':99' } });
    expect(x11.stdout.toString()).toBe('display=none\n');
    expect(x11.stderr).toMatch(/X11 forwarding request failed/);
    for (const weak of [['-o', 'HostKeyAlgorithms=ssh-rsa'], ['-c', 'aes128-ctr', '-o', 'MACs=hmac-sha1'], ['-o', 'KexAlgorithms=diffie-hellman-group14-sha1']]) {
      // ssh keeps the first value given for an option: INFO before the usual ERROR, to see why it failed.
      const run = await runTool('ssh', ['-o', 'LogLevel=INFO', ...weak, ...user.options(keyA.path), '-p', String(port), 'app@127.0.0.1', 'true']);
      expect(run.code, weak.join(' ')).toBe(255);
      expect(run.stderr).toMatch(/no matching/);
    }
  });

  it('tells a client of a stopped app what to do, with a non-zero exit', async () => {
    const stop = await fx.api.put(`/${owner.company.id}/apps-action/${appB.id}/`, { token: owner.token, body: { action: 'stop' } });
    await waitForOperation(fx.api, owner.token, owner.company.id, stop.body.operation_id);
    const run = await user.ssh(appB.ssh_access[0].port, keyB.path, ['echo', 'hi']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/app is stopped.*"action": "start"/);
    expect(run.stdout.toString()).toBe('');
  });

  it('keeps uploaded files across a rebuild', async () => {
    await user.ssh(port, keyA.path, ['echo kept > /srv/app/survivor.txt']);
    const rebuild = await fx.api.put(`/${owner.company.id}/apps-action/${appA.id}/`, { token: owner.token, body: { action: 'rebuild' } });
    expect((await waitForOperation(fx.api, owner.token, owner.company.id, rebuild.body.operation_id)).status).toBe('success');
    expect((await user.ssh(port, keyA.path, ['cat /srv/app/survivor.txt'])).stdout.toString()).toBe('kept\n');
  });

  it('closes the endpoint of a deleted app', async () => {
    const gone = await fx.api.delete(`/${owner.company.id}/apps/${appB.id}/`, { token: owner.token });
    await waitForOperation(fx.api, owner.token, owner.company.id, gone.body.operation_id);
    await eventually('the port closes', async () => (await user.ssh(appB.ssh_access[0].port, keyB.path, ['true'])).stderr.match(/refused/));
  });

  it('keeps its host key across restarts', async () => {
    await fx.berth.stop();
    fx.berth = await startBerth(fx.env);
    fx.api = client(fx.berth.url, fx.berth);
    await eventually('the endpoint answers again', async () => (await user.ssh(port, keyA.path, ['echo', 'back'])).stdout.toString() === 'back\n');
    expect((await fx.api.get('/ssh-host-keys/', { token: owner.token })).body[0].public_key).toBe(hostKey.public_key);
  });
});
