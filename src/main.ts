import 'reflect-metadata';
import { stopBackgroundCompilation } from './common/exit-deadlock.js';
import { createLogger, flushLogs } from './common/logging/logger.js';
import { ConfigError, loadConfig } from './config/config.js';
import { createDataSource } from './database/data-source.js';
import { runMigrations } from './database/migrate.js';
import { startRoles } from './roles/roles.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`berth: ${err.message}\n`);
      stopBackgroundCompilation();
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger(config);

  if (config.migrationsRun) {
    const dataSource = createDataSource(config);
    await dataSource.initialize();
    try {
      const applied = await runMigrations(dataSource);
      if (applied.length > 0) logger.info({ migrations: applied.map((m) => m.name) }, 'migrations applied');
    } finally {
      await dataSource.destroy();
    }
  }

  const running = await startRoles(config, logger);
  logger.info({ roles: running.flatMap((r) => r.roles), api: running.find((r) => r.address)?.address, version: config.version }, 'berth started');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    stopBackgroundCompilation();
    logger.info({ signal }, 'berth stopping');
    // Jobs converge when run again, so cutting one short loses nothing; a process that never
    // stops (BullMQ waits for ever for a Redis that is gone) leaves the operator nothing but kill -9.
    setTimeout(() => {
      logger.warn({ signal, timeoutMs: config.shutdownTimeoutMs }, 'berth did not stop within SHUTDOWN_TIMEOUT_MS: exiting anyway');
      flushLogs(logger);
      process.exit(1);
    }, config.shutdownTimeoutMs).unref();
    await Promise.allSettled(running.map((r) => r.close()));
    flushLogs(logger);
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((err: Error) => {
  process.stderr.write(`berth: failed to start: ${err.message}\n`);
  stopBackgroundCompilation();
  process.exit(1);
});
