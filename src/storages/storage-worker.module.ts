import { Module } from '@nestjs/common';
import { StorageProcessor } from './storage.processor.js';

/** The worker side of storages: consumes the storages queue. */
@Module({ providers: [StorageProcessor] })
export class StorageWorkerModule {}
