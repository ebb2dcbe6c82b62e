// The stock OpenSSH client as a tenant uses it against Berth's SSH gateway (bench/ssh,
// bench/config, bench/deploy): a key of the run's own, host keys checked, no prompts.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { api, sh } from './berth.mjs';

/** A new ed25519 client key (no passphrase) in `dir`: its path and its public key. */
export function clientKey(dir, name = 'id_ed25519') {
  const key = path.join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
  return { path: key, publicKey: fs.readFileSync(`${key}.pub`, 'utf8').trim() };
}

/** The known_hosts line of Berth's gateway on 127.0.0.1:`port`, from `GET /ssh-host-keys/`. */
export async function gatewayKnownHost(base, token, port) {
  const [hostKey] = await api(base, 'GET', '/ssh-host-keys/', token);
  return `[127.0.0.1]:${port} ${hostKey.public_key}`;
}

/** Options for `ssh` (and rsync's `-e`): only this key, no prompts, host keys from `knownHosts` only. */
export function sshOptions(key, knownHosts, port) {
  return ['-i', key, '-o', 'IdentitiesOnly=yes', '-o', 'BatchMode=yes', '-o', `UserKnownHostsFile=${knownHosts}`, '-o', 'StrictHostKeyChecking=yes', '-p', String(port)];
}

/** Waits until `ssh <login> echo ok` works: the gateway learns an app's keys within SSH_SYNC_INTERVAL_MS. */
export async function waitForSsh(options, login, tries = 100, everyMs = 200) {
  for (let i = 0; i < tries; i++) {
    if ((await sh('ssh', [...options, login, 'echo ok']).catch(() => '')) === 'ok') return;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`ssh ${login} (${options.at(-1)}) did not work within ${(tries * everyMs) / 1000} s`);
}
