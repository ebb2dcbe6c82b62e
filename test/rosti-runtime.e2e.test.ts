// Inside the container, Rosti's way: after an upload over SSH the client runs `rosti <tech>`,
// and its supervisor programs start through /srv/bin/primary_tech/. The status reports that choice.
import { rmSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApp, Owner, TestApp } from './support/apps.js';
import { eventually, publishedPort } from './support/docker.js';
import { useBerth } from './support/fixture.js';
import { register } from './support/http.js';
import { runTool, SshUser } from './support/ssh.js';

const fx = useBerth('rostirt', { BERTH_ROLES: 'api,worker,ssh', SSH_SYNC_INTERVAL_MS: '200' });
const user = new SshUser();
const key = user.key('rostictl');
let owner: Owner;

const sh = async (app: TestApp, command: string, input?: Buffer) => {
  const run = await user.ssh(app.sshPort, key.path, [command], { input });
  return { code: run.code, out: run.stdout.toString(), err: run.stderr };
};

/** Streams a tar of `files` into /srv/app, as rostictl does (tee into a file, then tar xf). */
async function upload(app: TestApp, files: Record<string, string>): Promise<void> {
  const dir = (await runTool('mktemp', ['-d'])).stdout.toString().trim();
  for (const [name, text] of Object.entries(files)) await runTool('bash', ['-c', `cat > '${dir}/${name}'`], { input: text });
  const tar = await runTool('tar', ['-C', dir, '-c', '.']);
  // Tests leave nothing behind on the machine.
  rmSync(dir, { recursive: true, force: true });
  expect((await sh(app, "/bin/sh -c 'tee \"/srv/_archive.tar\" > /dev/null'", tar.stdout)).code).toBe(0);
  const unpack = await sh(app, '/bin/sh -c "mkdir -p /srv/app && mv /srv/_archive.tar /srv/app/ && cd /srv/app && tar xf _archive.tar"');
  expect(unpack.code, unpack.err).toBe(0);
}

/** A supervisor program as Rosti's templates write it, started with supervisorctl. */
async function program(app: TestApp, command: string): Promise<void> {
  const conf = `[program:app]\\ncommand=${command}\\ndirectory=/srv/app\\nautostart=true\\nautorestart=true\\nstopasgroup=true\\nredirect_stderr=true\\nstdout_logfile=/srv/log/app.log\\n`;
  const run = await sh(app, `printf '${conf}' > /srv/conf/supervisor.d/app.conf && supervisorctl reread && supervisorctl update && supervisorctl restart app`);
  expect(run.code, run.err + run.out).toBe(0);
}

async function answer(app: TestApp, text: string): Promise<string> {
  const port = await publishedPort(`${fx.env.DOCKER_NAME_PREFIX}-app-${app.id}`, 8080);
  return eventually(`the app answers "${text}"`, async () => {
    const body = await fetch(`http://127.0.0.1:${port}/`).then((r) => r.text(), () => '');
    return body.includes(text) ? body : undefined;
  }, 30_000);
}

const status = async (app: TestApp) => (await fx.api.get(`/${owner.company.id}/apps-status/${app.id}/`, { token: owner.token })).body;

beforeAll(async () => {
  owner = await register(fx.api, 'Runtime Co');
});

describe('rosti <tech> and /srv/bin/primary_tech', () => {
  it('node: `rosti node`, then a program started by /srv/bin/primary_tech/npm start', async () => {
    const app = await createApp(fx.api, owner, user, key, { name: 'nodeapp' });
    await upload(app, {
      'package.json': JSON.stringify({ name: 'nodeapp', private: true, scripts: { start: 'node server.js' } }),
      'server.js': "require('http').createServer((q, s) => s.end(`npm start on node ${process.versions.node}\\n`)).listen(process.env.PORT);\n",
    });
    const chosen = await sh(app, 'rosti node');
    expect(chosen.code, chosen.err).toBe(0);
    expect(chosen.out).toMatch(/^primary tech: node \d+\.\d+\.\d+/);
    expect((await sh(app, 'readlink /srv/bin/primary_tech')).out.trim()).toBe('/opt/berth/techs/node/bin');
    await program(app, '/srv/bin/primary_tech/npm start');
    const body = await answer(app, 'npm start on node');
    const s = await status(app);
    expect(s.primary_tech.name).toBe('node');
    expect(body).toContain(s.primary_tech.version);
    // The default runtime carries Python too: choosing it is what the status reports then.
    expect((await sh(app, 'rosti python 3')).code).toBe(0);
    expect((await status(app)).primary_tech).toMatchObject({ name: 'python', version: expect.stringMatching(/^3\.\d+/) });
  });

  it('python: `rosti python`, then /srv/bin/primary_tech/python runs the app', async () => {
    const app = await createApp(fx.api, owner, user, key, { name: 'pyapp', image: 'berth/runtime-python:2026.11-1' });
    // Its runtime's own technology is the one it starts with.
    expect((await status(app)).primary_tech.name).toBe('python');
    await upload(app, {
      'app.py': [
        'import os, sys',
        'from http.server import BaseHTTPRequestHandler, HTTPServer',
        'class H(BaseHTTPRequestHandler):',
        '    def do_GET(self):',
        "        body = ('python %d.%d.%d\\n' % sys.version_info[:3]).encode()",
        '        self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)',
        "HTTPServer(('0.0.0.0', int(os.environ['PORT'])), H).serve_forever()",
        '',
      ].join('\n'),
    });
    expect((await sh(app, 'rosti python')).code).toBe(0);
    await program(app, '/srv/bin/primary_tech/python /srv/app/app.py');
    const body = await answer(app, 'python 3.');
    expect(body.trim()).toBe(`python ${(await status(app)).primary_tech.version}`);
    // What this runtime does not carry is refused, saying what it does.
    const node = await sh(app, 'rosti node');
    expect(node.code).toBe(1);
    expect(node.err).toMatch(/node is not in this runtime; choose one of:\s+python 3\./);
    const old = await sh(app, 'rosti python 2.7');
    expect(old.code).toBe(1);
    expect(old.err).toMatch(/has python 3\.\d+\.\d+, not 2\.7/);
    expect((await sh(app, 'readlink /srv/bin/primary_tech')).out.trim()).toBe('/opt/berth/techs/python/bin');
  });
});
