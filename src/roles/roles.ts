import { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Logger } from 'pino';
import { createApi } from '../api.js';
import { PinoNestLogger } from '../common/logging/logger.js';
import { BerthConfig, Role } from '../config/config.js';
import { BackgroundModule, BackgroundRole } from './background.module.js';

export interface RunningRole {
  roles: Role[];
  close(): Promise<void>;
  /** Where the role listens, when it listens. */
  address?: string;
}

async function startApi(config: BerthConfig, logger: Logger): Promise<RunningRole> {
  const app = await createApi(config, logger);
  await app.listen({ port: config.port, host: config.host });
  return { roles: ['api'], close: () => app.close(), address: await app.getUrl() };
}

async function startBackground(roles: BackgroundRole[], config: BerthConfig, logger: Logger): Promise<RunningRole> {
  const context: INestApplicationContext = await NestFactory.createApplicationContext(BackgroundModule.forRoles(config, roles), {
    logger: new PinoNestLogger(logger),
  });
  await context.init();
  return { roles, close: () => context.close() };
}

/** Starts the configured roles in one process; the default runs them all for a single machine. */
export async function startRoles(config: BerthConfig, logger: Logger): Promise<RunningRole[]> {
  const running: RunningRole[] = [];
  try {
    if (config.roles.includes('api')) running.push(await startApi(config, logger.child({ role: 'api' })));
    const background = config.roles.filter((r): r is BackgroundRole => r !== 'api');
    if (background.length > 0) running.push(await startBackground(background, config, logger.child({ role: background.join(',') })));
  } catch (err) {
    await Promise.allSettled(running.map((r) => r.close()));
    throw err;
  }
  return running;
}
