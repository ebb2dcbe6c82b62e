// Apps as a tenant makes them: created through the API, code sent over rsync, a
// supervisor program started with supervisorctl, all through the SSH gateway.
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { eventually } from './docker.js';
import { Client, register, waitForOperation } from './http.js';
import { ROOT } from './server.js';
import { Run, runTool, SshUser } from './ssh.js';

export type Owner = Awaited<ReturnType<typeof register>>;

export interface TestApp {
  id: number;
  name: string;
  sshPort: number;
  body: any;
}

/** Creates an app with `key` and waits for its operation and its SSH endpoint. */
export async function createApp(api: Client, who: Owner, user: SshUser, key: { path: string; pub: string }, body: Record<string, unknown>): Promise<TestApp> {
  const plans = (await api.get(`/${who.company.id}/plans/`, { token: who.token })).body;
  const created = await api.post(`/${who.company.id}/apps/`, { token: who.token, body: { plan: plans[0].id, image: 'berth/runtime:2026.11-1', ssh_keys: [key.pub], ...body } });
  expect(created.status, created.text).toBe(200);
  const op = await waitForOperation(api, who.token, who.company.id, created.body.operation_id);
  expect(op.status, op.message).toBe('success');
  const sshPort = created.body.ssh_access[0].port;
  user.trust([sshPort], (await api.get('/ssh-host-keys/', { token: who.token })).body[0].public_key);
  let last: Run | undefined;
  await eventually('the app takes SSH logins', async () => (last = await user.ssh(sshPort, key.path, ['true'])).code === 0, 60_000).catch((err: Error) => {
    throw new Error(`${err.message} (port ${sshPort}; the last try exited ${last?.code}: ${last?.stderr.trim()})${api.server ? `\n${api.server.describe()}` : ''}`);
  });
  return { id: created.body.id, name: created.body.name, sshPort, body: created.body };
}

/** rsync `dir` to /srv/app, write `program` as the app's supervisor program and (re)start it. */
export async function deploy(user: SshUser, app: TestApp, key: string, dir: string, command: string): Promise<void> {
  const sync = await runTool('rsync', ['-az', '--delete', '-e', user.rsyncShell(app.sshPort, key), `${dir}/`, `app@${user.host}:/srv/app/`]);
  expect(sync.code, sync.stderr).toBe(0);
  const program = `[program:app]\\ncommand=${command}\\ndirectory=/srv/app\\nautostart=true\\nautorestart=true\\nstopasgroup=true\\nkillasgroup=true\\nredirect_stderr=true\\nstdout_logfile=/srv/log/app.log\\n`;
  const start = await user.ssh(app.sshPort, key, [`printf '${program}' > /srv/conf/supervisor.d/app.conf && supervisorctl reread && supervisorctl update && supervisorctl restart app`]);
  expect(start.code, start.stderr + start.stdout.toString()).toBe(0);
}

/** Copies npm packages and everything they depend on from Berth's own node_modules into `dir/node_modules`. */
export function vendorPackages(dir: string, names: string[]): void {
  const seen = new Set<string>();
  const visit = (name: string) => {
    if (seen.has(name)) return;
    const source = join(ROOT, 'node_modules', name);
    if (!existsSync(source)) return; // an optional dependency this platform does not have
    seen.add(name);
    cpSync(source, join(dir, 'node_modules', name), { recursive: true });
    const manifest = JSON.parse(readFileSync(join(source, 'package.json'), 'utf8'));
    for (const dep of Object.keys(manifest.dependencies ?? {})) visit(dep);
  };
  names.forEach(visit);
}

/** A directory of files under the user's temporary directory. */
export function sourceTree(user: SshUser, name: string, files: Record<string, string>): string {
  const dir = join(user.dir, name);
  mkdirSync(dir, { recursive: true });
  for (const [path, text] of Object.entries(files)) writeFileSync(join(dir, path), text);
  return dir;
}
