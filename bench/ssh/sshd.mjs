// A local OpenSSH sshd on loopback, the baseline of bench/ssh. Debian's openssh-server is
// downloaded and unpacked into a cache (`apt-get download` + `dpkg -x`), never installed:
// no service is set up or started on the machine. It runs with a config, host key and
// authorized_keys of its own in a temporary directory, and stops with the run.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { onCleanup, sh } from '../lib/berth.mjs';

const CACHE = process.env.BERTH_BENCH_CACHE || '/var/cache/berth/bench-sshd';

async function sshdBinary() {
  const binary = path.join(CACHE, 'root/usr/sbin/sshd');
  if (fs.existsSync(binary)) return binary;
  fs.mkdirSync(CACHE, { recursive: true });
  await sh('apt-get', ['download', 'openssh-server'], { cwd: CACHE }).catch(async () => {
    await sh('apt-get', ['update', '-qq']);
    await sh('apt-get', ['download', 'openssh-server'], { cwd: CACHE });
  });
  const deb = fs.readdirSync(CACHE).find((f) => f.startsWith('openssh-server_') && f.endsWith('.deb'));
  await sh('dpkg', ['-x', path.join(CACHE, deb), path.join(CACHE, 'root')]);
  return binary;
}

/** sshd as root needs its privilege separation user and directory, as Debian's package makes them. */
async function privsep() {
  if (process.getuid() !== 0) throw new Error('the sshd baseline needs root (it runs sshd as root, as a real installation does)');
  const known = await sh('getent', ['passwd', 'sshd']).catch(() => '');
  if (!known) await sh('useradd', ['--system', '--no-create-home', '--home-dir', '/run/sshd', '--shell', '/usr/sbin/nologin', 'sshd']);
  fs.mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
}

/** Starts sshd on 127.0.0.1:`port` letting `publicKey` in as root; resolves when it listens. */
export async function startSshd(dir, port, publicKey) {
  const binary = await sshdBinary();
  await privsep();
  const hostKey = path.join(dir, 'sshd_host_ed25519_key');
  await sh('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', hostKey]);
  fs.writeFileSync(path.join(dir, 'authorized_keys'), `${publicKey}\n`, { mode: 0o600 });
  const config = path.join(dir, 'sshd_config');
  fs.writeFileSync(config, [
    `Port ${port}`, 'ListenAddress 127.0.0.1', `HostKey ${hostKey}`, `AuthorizedKeysFile ${path.join(dir, 'authorized_keys')}`,
    'PermitRootLogin prohibit-password', 'PasswordAuthentication no', 'KbdInteractiveAuthentication no', 'UsePAM no',
    'StrictModes no', `PidFile ${path.join(dir, 'sshd.pid')}`, 'PrintMotd no', 'Subsystem sftp internal-sftp', '',
  ].join('\n'));
  const proc = spawn(binary, ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  proc.stderr.on('data', (c) => (log += c));
  onCleanup(async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill('SIGTERM');
    await new Promise((r) => proc.once('exit', r));
  });
  const until = Date.now() + 10_000;
  while (!/Server listening on 127\.0\.0\.1 port/.test(log)) {
    if (proc.exitCode !== null || Date.now() > until) throw new Error(`sshd did not start: ${log}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { hostKey: fs.readFileSync(`${hostKey}.pub`, 'utf8').trim() };
}
