import { Global, Module } from '@nestjs/common';
import { OperationsController } from './operations.controller.js';
import { OperationsService } from './operations.service.js';

@Global()
@Module({ controllers: [OperationsController], providers: [OperationsService], exports: [OperationsService] })
export class OperationsModule {}
