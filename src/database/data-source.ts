import { DataSource, DataSourceOptions } from 'typeorm';
import { BerthConfig } from '../config/config.js';
import { ENTITIES } from './entities.js';
import { MIGRATIONS } from './migrations/index.js';

export function dataSourceOptions(config: BerthConfig): DataSourceOptions {
  return {
    type: 'postgres',
    url: config.databaseUrl.reveal(),
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'typeorm_migrations',
    // Schema changes go through migrations only, everywhere, tests included.
    synchronize: false,
    migrationsRun: false,
    logging: false,
    extra: { max: config.databasePoolSize, connectionTimeoutMillis: 5000, application_name: 'berth' },
  };
}

export function createDataSource(config: BerthConfig): DataSource {
  return new DataSource(dataSourceOptions(config));
}
