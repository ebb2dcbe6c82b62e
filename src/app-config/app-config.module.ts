import { Module } from '@nestjs/common';
import { AppsModule } from '../apps/apps.module.js';
import { AppConfigController } from './app-config.controller.js';
import { AppConfigService } from './app-config.service.js';
import { AppEnvironmentModule } from './app-environment.module.js';

/** The config API: an app's variables and secrets, versioned. */
@Module({ imports: [AppsModule, AppEnvironmentModule], controllers: [AppConfigController], providers: [AppConfigService] })
export class AppConfigModule {}
