import { Global, Inject, Logger, Module, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { BerthConfig } from '../../config/config.js';
import { CONFIG } from '../../config/config.module.js';
import { MariaDbEngine } from './mariadb.engine.js';
import { PgSqlEngine } from './pgsql.engine.js';
import { STORAGE_ENGINES, StorageEngine, StorageType } from './storage-engine.js';

export type StorageEngines = Map<StorageType, StorageEngine>;

/** The engine adapter for each storage type, chosen and configured in one place. */
@Global()
@Module({
  providers: [
    {
      provide: STORAGE_ENGINES,
      inject: [CONFIG],
      useFactory: (config: BerthConfig): StorageEngines => {
        const { mariadb, pgsql, connectionsPerUser } = config.storages;
        return new Map<StorageType, StorageEngine>([
          ['mariadb', new MariaDbEngine(mariadb, connectionsPerUser)],
          ['pgsql', new PgSqlEngine(pgsql, connectionsPerUser)],
        ]);
      },
    },
  ],
  exports: [STORAGE_ENGINES],
})
export class StorageEnginesModule implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('storages');

  constructor(@Inject(STORAGE_ENGINES) private readonly engines: StorageEngines) {}

  // A PostgreSQL server that lets storage users in without their password, or into
  // other databases, opens every storage to every tenant: say so loudly, but start.
  onModuleInit(): void {
    const pgsql = this.engines.get('pgsql') as PgSqlEngine;
    pgsql
      .isolationEnforced()
      .then((enforced) => {
        if (!enforced) this.logger.warn('the PostgreSQL storage server lets storage users in without their password or into other databases: run scripts/pg-storage-auth.sh on it');
      })
      .catch(() => undefined);
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled([...this.engines.values()].map((engine) => engine.close()));
  }
}
