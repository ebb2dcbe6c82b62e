import { Module } from '@nestjs/common';
import { StoragesController } from './storages.controller.js';
import { StoragesService } from './storages.service.js';

/** The storages API; the engines and the queue come from their global modules. */
@Module({ controllers: [StoragesController], providers: [StoragesService] })
export class StoragesModule {}
