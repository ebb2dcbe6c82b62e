import { Module } from '@nestjs/common';
import { LiveController } from './live.controller.js';
import { LiveEvents } from './live-events.js';
import { LiveStreams } from './live-streams.js';
import { StreamSlots } from './stream-slots.js';

/** Live streams over server-sent events: a company's changes, and an operation until it ends. */
@Module({ controllers: [LiveController], providers: [LiveEvents, LiveStreams, StreamSlots], exports: [LiveStreams, StreamSlots] })
export class LiveModule {}
