import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Redis } from 'ioredis';
import { DataSource } from 'typeorm';
import { REDIS } from '../common/redis/redis.module.js';
import { within } from '../common/within.js';
import { BerthConfig } from '../config/config.js';
import { CONFIG } from '../config/config.module.js';
import { CheckDto, HealthDto } from './health.dto.js';

const CHECK_TIMEOUT_MS = 2000;

async function check(what: string, run: () => Promise<unknown>): Promise<CheckDto> {
  const started = performance.now();
  try {
    await within(run(), CHECK_TIMEOUT_MS, what);
    return { status: 'up', latency_ms: Math.round(performance.now() - started) };
  } catch (err) {
    return { status: 'down', latency_ms: Math.round(performance.now() - started), message: (err as Error).message };
  }
}

@Injectable()
export class HealthService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(CONFIG) private readonly config: BerthConfig,
  ) {}

  async health(): Promise<HealthDto> {
    const [database, redis] = await Promise.all([check('the database', () => this.db.query('SELECT 1')), check('redis', () => this.redis.ping())]);
    const ok = database.status === 'up' && redis.status === 'up';
    return { status: ok ? 'ok' : 'unavailable', version: this.config.version, checks: { database, redis } };
  }

  get version(): string {
    return this.config.version;
  }
}
