import { DynamicModule, Module } from '@nestjs/common';
import { RedisModule } from '../common/redis/redis.module.js';
import { BerthConfig, Role } from '../config/config.js';
import { ConfigModule } from '../config/config.module.js';
import { DatabaseModule } from '../database/database.module.js';

/**
 * The process context of a non-HTTP role (worker, ssh, edge): configuration,
 * PostgreSQL and Redis. Each role's own module is added here as it is built.
 */
@Module({})
export class BackgroundModule {
  static forRole(config: BerthConfig, _role: Exclude<Role, 'api'>): DynamicModule {
    return { module: BackgroundModule, imports: [ConfigModule.forRoot(config), DatabaseModule, RedisModule] };
  }
}
