import { Module } from '@nestjs/common';
import { AppsModule } from '../apps/apps.module.js';
import { StoragesModule } from '../storages/storages.module.js';
import { AppConfigController } from './app-config.controller.js';
import { AppConfigService } from './app-config.service.js';
import { AppEnvironmentModule } from './app-environment.module.js';
import { BindingsController } from './bindings.controller.js';
import { BindingsService } from './bindings.service.js';

/** The config API: an app's variables and secrets, versioned, and the storages bound to it. */
@Module({ imports: [AppsModule, StoragesModule, AppEnvironmentModule], controllers: [AppConfigController, BindingsController], providers: [AppConfigService, BindingsService] })
export class AppConfigModule {}
