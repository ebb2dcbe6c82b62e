import type { Logger } from '@nestjs/common';
import type { ServerChannel, Session } from 'ssh2';
import { actionHint } from '../apps/app-view.js';
import { ContainerDriver, ExecSession } from '../containers/container-driver.js';
import { AppAccess } from './ssh-access.js';
import { Touch } from './ssh-idle.js';

const SFTP_SERVER = '/usr/lib/openssh/sftp-server';
// What a client may set in the session's environment, as sshd's usual AcceptEnv.
const ACCEPTED_ENV = /^(LANG|LC_[A-Z]+|TZ|COLORTERM)$/;
const SESSION_ENV = { HOME: '/srv', USER: 'app', LOGNAME: 'app', SHELL: '/bin/bash' };

interface Pty {
  term: string;
  rows: number;
  cols: number;
}

export interface SessionContext {
  access: AppAccess;
  driver: ContainerDriver;
  logger: Logger;
  log: Record<string, unknown>;
  /** Called on the session's requests and on every chunk it carries: the connection is not idle. */
  touch: Touch;
}

/**
 * One SSH session channel, bridged to a process in the app's container (never
 * on the host): a login shell, a command, or the container's own sftp-server.
 * stdout and stderr stay apart; a pty is used only when the client asked for one.
 */
export function serveSession(session: Session, ctx: SessionContext): void {
  let pty: Pty | null = null;
  let exec: ExecSession | null = null;
  let resizing: Promise<unknown> = Promise.resolve();
  const env: Record<string, string> = {};

  session.on('pty', (accept, _reject, info) => {
    // A client without a terminal of its own (ssh -tt < file) sends 0x0.
    pty = { term: info.term || 'xterm', rows: Math.trunc(info.rows) || 24, cols: Math.trunc(info.cols) || 80 };
    accept?.();
  });
  session.on('window-change', (accept, _reject, info) => {
    if (info.rows > 0 && info.cols > 0) {
      if (pty) pty = { ...pty, rows: Math.trunc(info.rows), cols: Math.trunc(info.cols) };
      // One at a time, in order: two resizes in flight may reach the engine the other way round.
      resizing = resizing.then(() => exec?.resize(info.rows, info.cols));
    }
    accept?.();
  });
  session.on('env', (accept, reject, info) => {
    if (!ACCEPTED_ENV.test(info.key)) return reject?.();
    env[info.key] = info.val;
    accept?.();
  });
  // Every request is traffic too: a session that is still being set up is not idle.
  for (const request of ['pty', 'window-change', 'env', 'shell', 'exec', 'subsystem']) session.prependListener(request, ctx.touch);
  const start = (channel: ServerChannel, argv: string[], tty: Pty | null) => {
    // A client gone while output still flows ends its session, never the gateway (an 'error' nobody hears would).
    const gone = (err: Error) => ctx.logger.debug?.({ ...ctx.log, err: err.message }, 'ssh channel error');
    channel.on('error', gone);
    channel.stderr.on('error', gone);
    void bridge(channel, argv, tty, env, ctx)
      .then((started) => (exec = started))
      .catch((err: Error) => {
        ctx.logger.warn({ ...ctx.log, err: err.message }, 'ssh session failed');
        finish(channel, 255, 'berth: the session could not be started in the app\'s container; try again\n');
      });
  };
  session.on('shell', (accept) => start(accept(), ['/bin/bash', '-l'], pty));
  session.on('exec', (accept, _reject, info) => start(accept(), ['/bin/bash', '-c', info.command], pty));
  // No 'sftp' listener: ssh2 then hands the sftp subsystem over as a raw channel, which the container's sftp-server speaks on.
  session.on('subsystem', (accept, reject, info) => {
    if (info.name !== 'sftp') return reject?.();
    start(accept(), [SFTP_SERVER], null);
  });
}

function finish(channel: ServerChannel, code: number, message?: string): void {
  if (message) channel.stderr.write(message);
  // exit before end, or OpenSSH clients report 255 although everything arrived.
  channel.exit(code);
  channel.end();
}

async function bridge(channel: ServerChannel, argv: string[], tty: Pty | null, env: Record<string, string>, ctx: SessionContext): Promise<ExecSession | null> {
  const { access, driver } = ctx;
  const action = (name: 'start' | 'rebuild') => actionHint(access.companyId, access.id, name);
  if (!access.enabled) {
    finish(channel, 1, `berth: this app is stopped. Start it with ${action('start')}, then connect again.\n`);
    return null;
  }
  const container = await driver.inspect(access.id);
  if (!container?.running) {
    finish(channel, 1, `berth: this app's container is not running right now (${container?.state ?? 'not created yet'}); try again in a minute, or ${action('rebuild')}.\n`);
    return null;
  }
  // The engine sizes a new terminal only after the process has started; set the size from inside first.
  const command = tty ? ['/bin/sh', '-c', `stty rows ${tty.rows} cols ${tty.cols} 2>/dev/null; exec "$@"`, 'sh', ...argv] : argv;
  const exec = await driver.exec(access.id, command, { user: 'app', env: { ...SESSION_ENV, ...env }, tty, workingDir: '/srv' });
  if (tty) {
    // Half of a terminal cannot be closed (the engine would drop the output still to come):
    // the client's EOF becomes the terminal's end-of-file character, as typing Ctrl-D.
    channel.pipe(exec.stdin as NodeJS.WritableStream, { end: false });
    channel.once('end', () => exec.stdin.write('\x04'));
  } else {
    // The client's EOF closes the process's stdin, and only that: its output keeps flowing.
    channel.pipe(exec.stdin as NodeJS.WritableStream);
  }
  exec.stdout.pipe(channel, { end: false });
  exec.stderr.pipe(channel.stderr, { end: false });
  // Alongside the pipes, which already made these streams flow: no chunk is lost to the listener.
  for (const stream of [channel, exec.stdout, exec.stderr]) stream.on('data', ctx.touch);
  const ended = (stream: NodeJS.ReadableStream) => new Promise<void>((resolve) => (stream.once('end', resolve), stream.once('close', resolve)));
  // A client that goes away ends the process's connection (its stdin closes; a shell exits).
  channel.once('close', () => exec.socket.destroy());
  void Promise.all([ended(exec.stdout), ended(exec.stderr), exec.exit]).then(([, , code]) => finish(channel, code ?? 255));
  return exec;
}
