// Rosti's deploy flow, end to end: an app, code streamed in over SSH, a supervisor
// program written over sftp, supervisorctl over ssh, and the new code answering HTTP.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { docker, eventually, publishedPort } from './support/docker.js';
import { useBerth } from './support/fixture.js';
import { register, waitForOperation } from './support/http.js';
import { runTool, SshUser } from './support/ssh.js';

const fx = useBerth('deploy', { BERTH_ROLES: 'api,worker,ssh', SSH_SYNC_INTERVAL_MS: '200' });
const user = new SshUser();

it('deploys a Node app the Rosti way: tar over ssh, a program over sftp, supervisorctl, HTTP', async () => {
  const owner = await register(fx.api, 'Rosti Way');
  const key = user.key('deploy');
  const plan = (await fx.api.get(`/${owner.company.id}/plans/`, { token: owner.token })).body[0].id;
  const created = await fx.api.post(`/${owner.company.id}/apps/`, {
    token: owner.token,
    body: { name: 'hello', image: 'berth/runtime:2026.11-1', plan, ssh_keys: [key.pub] },
  });
  expect(created.status, created.text).toBe(200);
  const port = created.body.ssh_access[0].port;
  user.trust([port], (await fx.api.get('/ssh-host-keys/', { token: owner.token })).body[0].public_key);

  // 1. Wait until the app takes SSH logins, as a CI job would.
  await eventually('ssh echo 1 succeeds', async () => (await user.ssh(port, key.path, ['echo', '1'])).stdout.toString() === '1\n', 60_000);
  expect((await waitForOperation(fx.api, owner.token, owner.company.id, created.body.operation_id)).status).toBe('success');

  // 2. Stream a tar of the code and unpack it in /srv/app.
  const source = join(user.dir, 'src');
  mkdirSync(source);
  writeFileSync(join(source, 'package.json'), '{"name":"hello","private":true}\n');
  writeFileSync(join(source, 'hello.js'), "require('http').createServer((q, s) => s.end(`deployed on ${process.env.PORT}\\n`)).listen(process.env.PORT);\n");
  const tar = await runTool('tar', ['-C', source, '-cz', '.']);
  const unpack = await user.ssh(port, key.path, ['tar -xz -C /srv/app && ls /srv/app'], { input: tar.stdout });
  expect(unpack.code, unpack.stderr).toBe(0);
  expect(unpack.stdout.toString()).toContain('hello.js');

  // 3. The supervisor program, written over sftp: it replaces the default app.
  const program = join(user.dir, 'app.conf');
  writeFileSync(program, '[program:app]\ncommand=/usr/local/bin/node /srv/app/hello.js\ndirectory=/srv/app\nautostart=true\nautorestart=true\nstopasgroup=true\nkillasgroup=true\nredirect_stderr=true\nstdout_logfile=/srv/log/app.log\n');
  const batch = join(user.dir, 'sftp-batch');
  writeFileSync(batch, `put ${program} /srv/conf/supervisor.d/app.conf\n`);
  const sftp = await runTool('sftp', [...user.options(key.path), '-P', String(port), '-b', batch, 'app@127.0.0.1']);
  expect(sftp.code, sftp.stderr).toBe(0);

  // 4. supervisorctl over ssh.
  const update = await user.ssh(port, key.path, ['supervisorctl reread && supervisorctl update']);
  expect(update.code, update.stderr + update.stdout.toString()).toBe(0);
  expect(update.stdout.toString()).toMatch(/app: (changed|updated process group)/);

  // 5. The new program answers HTTP on the app port.
  const container = `${fx.env.DOCKER_NAME_PREFIX}-app-${created.body.id}`;
  const url = `http://127.0.0.1:${await publishedPort(container, 8080)}/`;
  const body = await eventually('the deployed code answers', async () => {
    const text = await fetch(url).then((r) => r.text());
    return text.startsWith('deployed') ? text : undefined;
  });
  expect(body).toBe('deployed on 8080\n');
  expect(await docker('exec', container, 'cat', '/srv/app/package.json')).toContain('hello');
});
