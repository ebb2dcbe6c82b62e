import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { BerthConfig } from '../config/config.js';
import { CONFIG } from '../config/config.module.js';
import { dataSourceOptions } from './data-source.js';

@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [CONFIG],
      // Fail fast at start instead of TypeORM's default of retrying for half a minute.
      useFactory: (config: BerthConfig) => ({ ...dataSourceOptions(config), retryAttempts: 1, retryDelay: 0 }),
    }),
  ],
})
export class DatabaseModule {}
