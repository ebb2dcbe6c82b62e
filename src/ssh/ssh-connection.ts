import type { Logger } from '@nestjs/common';
import type { AuthenticationType, ClientInfo, Connection, PublicKeyAuthContext } from 'ssh2';
import { DataSource } from 'typeorm';
import { Limit, RateLimiter } from '../common/rate-limit/rate-limiter.js';
import { BerthConfig } from '../config/config.js';
import { ContainerDriver } from '../containers/container-driver.js';
import { AppAccess, decide, loadAccess } from './ssh-access.js';
import { serveSession } from './ssh-session.js';
import { serveTunnels } from './ssh-tunnel.js';
import { acceptKeyQuery } from './ssh2-workarounds.js';

const METHODS: AuthenticationType[] = ['publickey', 'password'];

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

/**
 * One client of one app's SSH endpoint: authenticates it (keys and password of
 * the app, read fresh each time), bounds its failures and its time to log in,
 * then serves its sessions and its forwards to the company's storage servers.
 * Other forwarding, agent and X11 are never offered: ssh2 refuses what has no listener.
 */
export function serveConnection(appId: number, client: Connection, info: ClientInfo, deps: ConnectionDeps): void {
  const { config, logger, limiter } = deps;
  const log = { appId, ip: info.ip };
  const limit = failureLimit(config);
  let failures = 0;
  let access: AppAccess | null = null;
  let closed = false;

  const drop = (why: string) => {
    if (closed) return;
    closed = true;
    logger.warn(log, `ssh connection closed: ${why}`);
    client.end();
  };
  // ssh2 has no authentication timeout of its own.
  const timer = setTimeout(() => drop('did not authenticate in time'), config.ssh.authTimeoutMs);
  client.on('close', () => {
    closed = true;
    clearTimeout(timer);
  });
  // Resets and protocol errors of one client must not reach the process.
  client.on('error', (err) => logger.debug?.({ ...log, err: err.message }, 'ssh client error'));

  // An address that failed too often lately is turned away before it may try again. Every
  // authentication waits for this answer: a fast client must not log in while Redis is asked.
  // Redis being unreachable lets the address try (keys still decide); it does not lock everyone out.
  const admitted = limiter.check(limit, info.ip).then(
    () => true,
    (err: Error & { code?: string }) => {
      if (err.code !== 'rate_limited') return true;
      drop('too many failed logins from this address');
      return false;
    },
  );

  client.on('authentication', (ctx) => {
    void (async () => {
      if (!(await admitted)) return;
      access = await loadAccess(deps.db, appId);
      const outcome = await decide(ctx, access);
      if (closed) return;
      if (outcome === 'key-ok') return acceptKeyQuery(ctx as PublicKeyAuthContext);
      if (outcome === 'accepted') return ctx.accept();
      // Probing with "none" to learn the methods is no failure.
      if (outcome === 'unsupported' && ctx.method === 'none') return ctx.reject(METHODS);
      failures += 1;
      // Counted before the client hears of it, so its next connection already sees the failure.
      await limiter.hit(limit, info.ip).catch(() => undefined);
      if (closed) return;
      // The last allowed failure closes the connection instead of inviting another try.
      if (failures >= config.ssh.maxAuthTries) return drop(`${failures} failed authentications`);
      ctx.reject(METHODS);
    })().catch((err: Error) => {
      logger.warn({ ...log, err: err.message }, 'ssh authentication could not be decided');
      if (!closed) ctx.reject(METHODS);
    });
  });

  client.on('ready', () => {
    clearTimeout(timer);
    logger.log(log, 'ssh client authenticated');
    client.on('session', (accept) => {
      const session = accept();
      serveSession(session, { access: access!, driver: deps.driver, logger, log });
    });
    serveTunnels(client, access!, { db: deps.db, config, logger, log });
  });
}
