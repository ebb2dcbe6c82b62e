import { Global, Module } from '@nestjs/common';
import { AccountEventsController, CompanyEventsController } from './events.controller.js';
import { EventsService } from './events.service.js';

// Global: every module that changes something records its events here.
@Global()
@Module({ controllers: [CompanyEventsController, AccountEventsController], providers: [EventsService], exports: [EventsService] })
export class EventsModule {}
