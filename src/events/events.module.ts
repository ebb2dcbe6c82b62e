import { Global, Module } from '@nestjs/common';
import { EventsService } from './events.service.js';

// Global: every module that changes something records its events here.
@Global()
@Module({ providers: [EventsService], exports: [EventsService] })
export class EventsModule {}
