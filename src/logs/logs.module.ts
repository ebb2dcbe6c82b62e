import { Module } from '@nestjs/common';
import { AppEnvironmentModule } from '../app-config/app-environment.module.js';
import { LiveModule } from '../live/live.module.js';
import { LogFollowHub } from './log-follow-hub.js';
import { LogStore } from './log-store.js';
import { LogsController } from './logs.controller.js';
import { LogsService } from './logs.service.js';

/** Apps' logs as stored (docs/logs.md): the store, for the collector and the converger. */
@Module({ providers: [LogStore], exports: [LogStore] })
export class LogStoreModule {}

/** The logs API: reads the store and follows it, one shared read per API process. */
@Module({ imports: [LogStoreModule, LiveModule, AppEnvironmentModule], controllers: [LogsController], providers: [LogsService, LogFollowHub] })
export class LogsModule {}
