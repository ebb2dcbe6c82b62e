import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { AppConfigModule } from './app-config/app-config.module.js';
import { AppsModule } from './apps/apps.module.js';
import { AuthModule } from './auth/auth.module.js';
import { CompanyMemberGuard } from './common/access/company-member.guard.js';
import { CompanyRoleGuard } from './common/access/company-role.guard.js';
import { TokenAuthGuard } from './common/access/token-auth.guard.js';
import { TokenRateLimit } from './common/rate-limit/token-rate-limit.js';
import { ErrorFilter } from './common/errors/error.filter.js';
import { RedisModule } from './common/redis/redis.module.js';
import { BerthValidationPipe } from './common/validation/validation.pipe.js';
import { CompaniesModule } from './companies/companies.module.js';
import { ContainersModule } from './containers/containers.module.js';
import { BerthConfig } from './config/config.js';
import { ConfigModule } from './config/config.module.js';
import { DatabaseModule } from './database/database.module.js';
import { DomainsModule } from './domains/domains.module.js';
import { EventsModule } from './events/events.module.js';
import { HealthModule } from './health/health.module.js';
import { LogsModule } from './logs/logs.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { PlansModule } from './plans/plans.module.js';
import { RuntimesModule } from './runtimes/runtimes.module.js';
import { OperationsModule } from './operations/operations.module.js';
import { ReleasesModule } from './releases/releases.module.js';
import { QueuesModule } from './provisioning/queues.module.js';
import { StorageEnginesModule } from './storages/engines/storage-engines.module.js';
import { SshApiModule } from './ssh/ssh-api.module.js';
import { StoragesModule } from './storages/storages.module.js';

/** The HTTP API role. */
@Module({})
export class ApiModule {
  static forRoot(config: BerthConfig): DynamicModule {
    return {
      module: ApiModule,
      imports: [
        ConfigModule.forRoot(config),
        DatabaseModule,
        RedisModule,
        EventsModule,
        AuthModule,
        CompaniesModule,
        PlansModule,
        RuntimesModule,
        HealthModule,
        OperationsModule,
        QueuesModule,
        StorageEnginesModule,
        StoragesModule,
        DomainsModule,
        ContainersModule,
        AppsModule,
        MetricsModule,
        AppConfigModule,
        ReleasesModule,
        LogsModule,
        SshApiModule,
      ],
      providers: [
        // Guards run in this order: who is calling, in which company, with which role.
        TokenRateLimit,
        { provide: APP_GUARD, useClass: TokenAuthGuard },
        { provide: APP_GUARD, useClass: CompanyMemberGuard },
        { provide: APP_GUARD, useClass: CompanyRoleGuard },
        { provide: APP_PIPE, useClass: BerthValidationPipe },
        { provide: APP_FILTER, useClass: ErrorFilter },
      ],
    };
  }
}
