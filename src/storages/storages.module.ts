import { Module } from '@nestjs/common';
import { AppEnvironmentModule } from '../app-config/app-environment.module.js';
import { AppsModule } from '../apps/apps.module.js';
import { StoragesController } from './storages.controller.js';
import { StoragesService } from './storages.service.js';

/** The storages API; the engines and the queue come from their global modules. Bound apps follow a storage's password. */
@Module({ imports: [AppsModule, AppEnvironmentModule], controllers: [StoragesController], providers: [StoragesService], exports: [StoragesService] })
export class StoragesModule {}
