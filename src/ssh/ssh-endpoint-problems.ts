import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { REDIS } from '../common/redis/redis.module.js';
import { BerthConfig } from '../config/config.js';
import { CONFIG } from '../config/config.module.js';

/** Why a listen failed, in the words a tenant reads in apps-status. */
export function listenProblem(port: number, err: Error & { code?: string }): string {
  const why =
    err.code === 'EADDRINUSE' ? 'another process on the host holds that port'
    : err.code === 'EACCES' ? 'the gateway is not allowed to listen on that port'
    : err.message;
  return `SSH on port ${port} is not available: the gateway cannot listen on it (${why}). The platform's operator sees it in the gateway's log; the gateway tries again every few seconds`;
}

/**
 * App SSH endpoints that a gateway could not open, as the gateway (the `ssh` role, on any node)
 * last found them, for apps-status in the API. Kept in Redis, each for a few syncs: a gateway
 * that stops reporting (it stopped, or the port came free) lets the report expire.
 */
@Injectable()
export class SshEndpointProblems {
  private readonly ttlSeconds: number;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(CONFIG) private readonly config: BerthConfig,
  ) {
    this.ttlSeconds = Math.max(30, Math.ceil((3 * config.ssh.syncIntervalMs) / 1000));
  }

  private key(appId: number): string {
    return `${this.config.jobs.queuePrefix}:ssh-endpoint:${appId}`;
  }

  async report(appId: number, problem: string): Promise<void> {
    await this.redis.set(this.key(appId), problem, 'EX', this.ttlSeconds);
  }

  async clear(appId: number): Promise<void> {
    await this.redis.del(this.key(appId));
  }

  /** The problem reported for the app's endpoint, if any; null also when Redis cannot say (status must not fail for it). */
  async of(appId: number): Promise<string | null> {
    return this.redis.get(this.key(appId)).catch(() => null);
  }
}
