// The real OpenSSH client tools (ssh, scp, sftp, rsync), run as a user would.
import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

export interface Run {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

/** Runs a command to completion with optional stdin; never rejects. */
export function runTool(cmd: string, args: string[], options: { input?: Buffer | string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env: { ...process.env, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (c) => out.push(c));
    child.stderr.on('data', (c) => (err += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out), stderr: err });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}


/** A new public key line (`type` and `bits` as ssh-keygen takes them), its private half thrown away. */
export function newPublicKey(type: 'ed25519' | 'rsa' = 'ed25519', bits?: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'berth-key-'));
  try {
    execFileSync('ssh-keygen', ['-q', '-t', type, ...(bits ? ['-b', String(bits)] : []), '-N', '', '-C', 'dev@laptop', '-f', join(dir, 'id')]);
    return readFileSync(join(dir, 'id.pub'), 'utf8').trim();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export class SshUser {
  readonly dir = mkdtempSync(join(tmpdir(), 'berth-ssh-'));
  readonly knownHosts = join(this.dir, 'known_hosts');
  /** Ports whose host key `trust` wrote. */
  trusted: number[] = [];

  constructor(readonly host = '127.0.0.1') {
    writeFileSync(this.knownHosts, '');
    // Made at a test file's top level: its keys and files go when the file ends.
    afterAll(() => rmSync(this.dir, { recursive: true, force: true }));
  }

  /** A new ed25519 key pair; returns the private key's path and the public key line. */
  key(name: string): { path: string; pub: string } {
    const path = join(this.dir, name);
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `${name}@test`, '-f', path]);
    return { path, pub: readFileSync(`${path}.pub`, 'utf8').trim() };
  }

  /** Trusts `publicKey` for the gateway's ports (and those trusted before): clients then check the host key strictly. */
  trust(ports: number[], publicKey: string): void {
    // Added to what was trusted before: apps created at once each add their own port.
    this.trusted = [...new Set([...this.trusted, ...ports])];
    writeFileSync(this.knownHosts, this.trusted.map((p) => `[${this.host}]:${p} ${publicKey}\n`).join(''));
  }

  /** Options every tool gets: this key only, strict host key checking, no prompts. */
  options(key: string, batch = true): string[] {
    return ['-i', key, '-o', 'IdentitiesOnly=yes', '-o', 'IdentityAgent=none', '-o', `BatchMode=${batch ? 'yes' : 'no'}`, '-o', `UserKnownHostsFile=${this.knownHosts}`,
      '-o', 'StrictHostKeyChecking=yes', '-o', 'LogLevel=ERROR', '-o', 'ConnectTimeout=10'];
  }

  ssh(port: number, key: string, command: string[], extra: { input?: Buffer | string; args?: string[] } = {}): Promise<Run> {
    return runTool('ssh', [...this.options(key), ...(extra.args ?? []), '-p', String(port), `app@${this.host}`, ...command], { input: extra.input });
  }

  /** The `-e` value for rsync. */
  rsyncShell(port: number, key: string): string {
    return ['ssh', ...this.options(key), '-p', String(port)].map((a) => (/\s/.test(a) ? `'${a}'` : a)).join(' ');
  }

  /** An SSH_ASKPASS program answering `password`, for password logins without a terminal. */
  askpass(password: string): NodeJS.ProcessEnv {
    const path = join(this.dir, `askpass-${Math.random().toString(36).slice(2)}`);
    writeFileSync(path, `#!/bin/sh\nprintf '%s\\n' '${password.replace(/'/g, `'\\''`)}'\n`);
    chmodSync(path, 0o700);
    return { SSH_ASKPASS: path, SSH_ASKPASS_REQUIRE: 'force', DISPLAY: 'none' };
  }
}
