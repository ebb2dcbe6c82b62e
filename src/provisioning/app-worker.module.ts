import { Module } from '@nestjs/common';
import { AppEnvironmentModule } from '../app-config/app-environment.module.js';
import { LogCollector } from '../logs/log-collector.js';
import { LogStoreModule } from '../logs/logs.module.js';
import { ReleaseWorkerModule } from '../releases/releases.module.js';
import { AppConverger } from './app-converger.js';
import { NodesModule } from '../nodes/nodes.module.js';
import { AppProcessor } from './app.processor.js';
import { AppSweeper } from './app-sweeper.js';

/** The worker side of apps: consumes the apps queue, sweeps for drift, collects the apps' logs. */
@Module({ imports: [AppEnvironmentModule, ReleaseWorkerModule, LogStoreModule, NodesModule], providers: [AppConverger, AppProcessor, AppSweeper, LogCollector], exports: [AppConverger, AppSweeper] })
export class AppWorkerModule {}
