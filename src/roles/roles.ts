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
  // Labelled with every role of the process: Nest's Logger is one for the whole process (the last
  // application made sets it), so a line from the API's code in a process with the worker too
  // would otherwise say it came from the worker.
  const labelled = logger.child({ role: config.roles.join(',') });
  try {
    if (config.roles.includes('api')) running.push(await startApi(config, labelled));
    const background = config.roles.filter((r): r is BackgroundRole => r !== 'api');
    if (background.length > 0) running.push(await startBackground(background, config, labelled));
  } catch (err) {
    await Promise.allSettled(running.map((r) => r.close()));
    throw err;
  }
  return running;
}
