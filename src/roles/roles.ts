import { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Logger } from 'pino';
import { createApi } from '../api.js';
import { PinoNestLogger } from '../common/logging/logger.js';
import { BerthConfig, Role } from '../config/config.js';
import { BackgroundModule } from './background.module.js';

export interface RunningRole {
  role: Role;
  close(): Promise<void>;
  /** Where the role listens, when it listens. */
  address?: string;
}

async function startApi(config: BerthConfig, logger: Logger): Promise<RunningRole> {
  const app = await createApi(config, logger);
  await app.listen({ port: config.port, host: config.host });
  return { role: 'api', close: () => app.close(), address: await app.getUrl() };
}

async function startBackground(role: Exclude<Role, 'api'>, config: BerthConfig, logger: Logger): Promise<RunningRole> {
  const context: INestApplicationContext = await NestFactory.createApplicationContext(BackgroundModule.forRole(config, role), {
    logger: new PinoNestLogger(logger),
  });
  await context.init();
  return { role, close: () => context.close() };
}

/** Starts the configured roles in one process; the default runs them all for a single machine. */
export async function startRoles(config: BerthConfig, logger: Logger): Promise<RunningRole[]> {
  const running: RunningRole[] = [];
  try {
    for (const role of config.roles) {
      const roleLogger = logger.child({ role });
      running.push(role === 'api' ? await startApi(config, roleLogger) : await startBackground(role, config, roleLogger));
    }
  } catch (err) {
    await Promise.allSettled(running.map((r) => r.close()));
    throw err;
  }
  return running;
}
