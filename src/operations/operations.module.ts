import { Global, Module } from '@nestjs/common';
import { LiveModule } from '../live/live.module.js';
import { OperationsController } from './operations.controller.js';
import { OperationsService } from './operations.service.js';

@Global()
@Module({ imports: [LiveModule], controllers: [OperationsController], providers: [OperationsService], exports: [OperationsService] })
export class OperationsModule {}
