import type { Logger } from '@nestjs/common';
import type { AuthContext, AuthenticationType, ClientInfo, Connection, PublicKeyAuthContext } from 'ssh2';
import { DataSource } from 'typeorm';
import { Limit, RateLimiter } from '../common/rate-limit/rate-limiter.js';
import { BerthConfig } from '../config/config.js';
import { ContainerDriver } from '../containers/container-driver.js';
import { addressKey, Admitted } from './ssh-admission.js';
import { AppAccess, decide, loadAccess, Login, loginOf } from './ssh-access.js';
import { idleWatch } from './ssh-idle.js';
import { serveSession } from './ssh-session.js';
import { serveTunnels } from './ssh-tunnel.js';
import { acceptKeyQuery } from './ssh2-workarounds.js';

const METHODS: AuthenticationType[] = ['publickey', 'password'];
// Time for ssh2's DISCONNECT to leave before the socket is destroyed regardless.
const HANG_UP_MS = 1000;

export interface ConnectionDeps {
  db: DataSource;
  driver: ContainerDriver;
  limiter: RateLimiter;
  config: BerthConfig;
  logger: Logger;
}

/** Failed logins per client address in 10 minutes, counted in Redis across the gateway processes of this installation. */
export function failureLimit(config: BerthConfig): Limit {
  return { name: 'ssh-auth-ip', max: config.ssh.failuresPerIp, windowMs: 10 * 60_000 };
}

/** A client of an endpoint, as the gateway's sync sees it. */
export interface LiveConnection {
  /** How the client logged in; null until it has. */
  readonly login: Login | null;
  close(why: string): void;
}

/**
 * One client of one app's SSH endpoint: authenticates it against the app's keys and
 * password (read once per connection), bounds its tries and its address's failures,
 * then serves its sessions and its forwards to the company's storage servers until it
 * goes idle or is closed. Other forwarding, agent and X11 are never offered: ssh2
 * refuses what has no listener.
 */
export function serveConnection(appId: number, client: Connection, info: ClientInfo, admitted: Admitted, deps: ConnectionDeps): LiveConnection {
  const { config, logger, limiter } = deps;
  const log = { appId, ip: info.ip };
  const limit = failureLimit(config);
  const address = addressKey(info.ip);
  const maxTries = config.ssh.maxAuthTries;
  let tries = 0;
  let probed = false;
  let access: Promise<AppAccess | null> | undefined;
  let closed = false;
  const live = { login: null as Login | null, close: (why: string) => drop(why) };

  const drop = (why: string) => {
    if (closed) return;
    closed = true;
    logger.warn(log, `ssh connection closed: ${why}`);
    // No new channel from here on: ssh2 refuses channel types without a listener.
    client.removeAllListeners('session').removeAllListeners('tcpip');
    client.end();
    // ssh2 only half-closes: a client that ignored the DISCONNECT could go on sending requests.
    const { socket } = admitted;
    const destroy = () => socket.destroy();
    if (socket.writableFinished) destroy();
    else socket.once('finish', destroy);
    setTimeout(destroy, HANG_UP_MS).unref();
  };
  client.on('close', () => (closed = true));
  // Resets and protocol errors of one client must not reach the process.
  client.on('error', (err) => logger.debug?.({ ...log, err: err.message }, 'ssh client error'));

  // Once per connection, at the first attempt that needs it: repeated attempts cost no query.
  const accessOnce = () =>
    (access ??= loadAccess(deps.db, appId).catch((err: Error) => {
      access = undefined;
      throw err;
    }));

  /**
   * Takes one of the address's SSH_FAILURES_PER_IP before an attempt is evaluated, atomically over
   * all connections and processes. 'dropped': the address used them up (the connection is closed);
   * 'refused': they cannot be counted, and the attempt is one that counting protects.
   */
  const consume = (method: 'publickey' | 'password') =>
    limiter.consume(limit, address).then(
      () => 'counted' as const,
      (err: Error & { code?: string; headers?: Record<string, string> }) => {
        if (err.code === 'rate_limited') {
          // The address's next connections are closed at accept, before their key exchange.
          admitted.lockedOut(Number(err.headers?.['retry-after'] ?? 1));
          drop('too many failed logins from this address');
          return 'dropped' as const;
        }
        logger.warn({ ...log, err: err.message }, `ssh failure limit unavailable: ${method === 'password' ? 'password refused' : 'the key decides'}`);
        // Redis being unreachable must neither lock everyone out nor open the door to guessing: a
        // key cannot be guessed and still decides, a password can and is refused (as API logins are).
        return method === 'password' ? ('refused' as const) : ('uncounted' as const);
      },
    );

  // The last try closes the connection unless it logged in, instead of inviting another.
  const refuse = (ctx: AuthContext) => (tries >= maxTries ? drop(`${tries} authentication requests without a login`) : ctx.reject(METHODS));

  const attempt = async (ctx: AuthContext & { method: 'publickey' | 'password' }) => {
    const counted = await consume(ctx.method);
    if (counted === 'dropped') return;
    if (counted === 'refused') return refuse(ctx);
    const app = await accessOnce();
    const outcome = await decide(ctx, app);
    if (closed) return;
    if (outcome !== 'accepted' && outcome !== 'key-ok') return refuse(ctx);
    // Only failures use up the address's budget: a good key or login gives its unit back.
    void limiter.refund(limit, address).catch(() => undefined);
    if (outcome === 'key-ok') return tries >= maxTries ? refuse(ctx) : acceptKeyQuery(ctx as PublicKeyAuthContext);
    live.login = loginOf(ctx, app!);
    ctx.accept();
  };

  client.on('authentication', (ctx) => {
    if (closed) return;
    // The first `none` is how a client learns the methods (OpenSSH's sshd does not count it
    // either); every other request is a try, so that no kind of request is free to repeat.
    if (ctx.method === 'none' && !probed) {
      probed = true;
      return ctx.reject(METHODS);
    }
    tries += 1;
    if (ctx.method !== 'publickey' && ctx.method !== 'password') return refuse(ctx);
    attempt(ctx).catch((err: Error) => {
      logger.warn({ ...log, err: err.message }, 'ssh authentication could not be decided');
      if (!closed) refuse(ctx);
    });
  });

  client.on('ready', () => {
    admitted.authenticated();
    const { access } = live.login!;
    logger.log(log, 'ssh client authenticated');
    const idle = idleWatch(config.ssh.idleTimeoutMs, () => drop(`no channel traffic for ${config.ssh.idleTimeoutMs / 1000} s`));
    client.once('close', () => idle.stop());
    client.on('session', (accept) => {
      idle.touch();
      serveSession(accept(), { access, driver: deps.driver, logger, log, touch: idle.touch });
    });
    serveTunnels(client, access, { db: deps.db, config, logger, log, touch: idle.touch });
  });

  return live;
}
