import { Module } from '@nestjs/common';
import { AppEnvironmentModule } from '../app-config/app-environment.module.js';
import { ReleaseWorkerModule } from '../releases/releases.module.js';
import { AppConverger } from './app-converger.js';
import { AppProcessor } from './app.processor.js';
import { AppSweeper } from './app-sweeper.js';

/** The worker side of apps: consumes the apps queue and sweeps for drift. */
@Module({ imports: [AppEnvironmentModule, ReleaseWorkerModule], providers: [AppConverger, AppProcessor, AppSweeper], exports: [AppConverger, AppSweeper] })
export class AppWorkerModule {}
