// RSA keys on the SSH gateway, with OpenSSH and with Go's golang.org/x/crypto/ssh,
// the client Rosti's CLI is built on (it compares USERAUTH_PK_OK's algorithm with
// the one it asked about, and picks that one from the server's server-sig-algs).
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, Owner, TestApp } from './support/apps.js';
import { useBerth } from './support/fixture.js';
import { register } from './support/http.js';
import { ROOT } from './support/server.js';
import { runTool, SshUser } from './support/ssh.js';

const execFileAsync = promisify(execFile);
const fx = useBerth('sshrsa', { BERTH_ROLES: 'api,worker,ssh', SSH_SYNC_INTERVAL_MS: '200', JOB_BACKOFF_MS: '200' });
const user = new SshUser();
// What the gateway takes signatures in, and so all it may announce: no SHA-1 ssh-rsa (nor ssh-dss).
const SERVER_SIG_ALGS = 'ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,rsa-sha2-512,rsa-sha2-256';
const goDir = mkdtempSync(join(tmpdir(), 'berth-go-ssh-'));
const goSsh = join(goDir, 'go-ssh');

let owner: Owner;
let app: TestApp;
let hostKey: string;
let rsa: { path: string; pub: string };
let ed: { path: string; pub: string };

/** A 3072-bit RSA key pair, as `ssh-keygen -t rsa` makes by default. */
function rsaKey(name: string): { path: string; pub: string } {
  const path = join(user.dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', 'rsa', '-b', '3072', '-N', '', '-C', `${name}@test`, '-f', path]);
  return { path, pub: readFileSync(`${path}.pub`, 'utf8').trim() };
}

/** Builds test/support/go-ssh offline (GOPATH mode), against Debian's golang-golang-x-crypto-dev. */
async function buildGoClient(): Promise<void> {
  const env = { ...process.env, GOPATH: '/usr/share/gocode', GO111MODULE: 'off', GOCACHE: join(goDir, 'cache'), GOFLAGS: '', GOPROXY: 'off', GOENV: 'off' };
  await execFileAsync('go', ['build', '-o', goSsh, '.'], { cwd: join(ROOT, 'test/support/go-ssh'), env, timeout: 120_000 });
}

/** The Go client: logs in as app with `key`, checks the host key against the API's, runs `command`. */
function goRun(key: string, command: string, flags: string[] = []) {
  return runTool(goSsh, ['-addr', `127.0.0.1:${app.sshPort}`, '-key', key, '-host-key', hostKey, ...flags, command], { timeoutMs: 30_000 });
}

beforeAll(async () => {
  await buildGoClient();
  owner = await register(fx.api, 'RSA Co');
  rsa = rsaKey('rsa');
  ed = user.key('ed');
  app = await createApp(fx.api, owner, user, ed, { name: 'keys', ssh_keys: [ed.pub, rsa.pub] });
  hostKey = (await fx.api.get('/ssh-host-keys/', { token: owner.token })).body[0].public_key;
});

afterAll(() => rmSync(goDir, { recursive: true, force: true }));

describe('RSA keys on the SSH gateway', () => {
  it('logs OpenSSH in with an RSA key signing with rsa-sha2-256 and with rsa-sha2-512', async () => {
    for (const algorithm of ['rsa-sha2-256', 'rsa-sha2-512']) {
      const run = await user.ssh(app.sshPort, rsa.path, ['id -un; hostname'], { args: ['-o', `PubkeyAcceptedAlgorithms=${algorithm}`] });
      expect(run.stdout.toString(), `${algorithm}: ${run.stderr}`).toBe(`app\napp-${app.id}\n`);
      expect(run.code).toBe(0);
    }
  });

  it('refuses SHA-1 ssh-rsa signatures and announces only what it takes in server-sig-algs', async () => {
    // ssh keeps the first value given for an option: DEBUG1 before the usual ERROR, to read EXT_INFO.
    const forced = await runTool('ssh', ['-o', 'LogLevel=DEBUG1', '-o', 'PubkeyAcceptedAlgorithms=ssh-rsa', ...user.options(rsa.path), '-p', String(app.sshPort), 'app@127.0.0.1', 'true']);
    expect(forced.code).toBe(255);
    expect(forced.stderr).toMatch(/Permission denied/);
    expect(forced.stderr).toContain(`server-sig-algs=<${SERVER_SIG_ALGS}>`);
    // A client that signs with ssh-rsa anyway (old x/crypto signers do) is turned away by the gateway itself.
    const sha1 = await goRun(rsa.path, 'true', ['-sha1']);
    expect(sha1.code).toBe(255);
    expect(sha1.stderr).toMatch(/unable to authenticate/);
  });

  // How long it takes is for benchmarks, not tests: before the fix it did not log in at all.
  it('logs the Go x/crypto client in with an RSA key and runs a command in the app’s container', async () => {
    const run = await goRun(rsa.path, 'id -un; hostname');
    expect(run.stdout.toString(), run.stderr).toBe(`app\napp-${app.id}\n`);
    expect(run.code).toBe(0);
  });

  it('logs the Go x/crypto client in with an ed25519 key (the comparison: this always worked)', async () => {
    const run = await goRun(ed.path, 'id -un; hostname');
    expect(run.stdout.toString(), run.stderr).toBe(`app\napp-${app.id}\n`);
    expect(run.code).toBe(0);
  });
});
