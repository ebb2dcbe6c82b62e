import { Module } from '@nestjs/common';
import { MetricsModule } from '../metrics/metrics.module.js';
import { NodesModule } from '../nodes/nodes.module.js';
import { SshEndpointProblems } from '../ssh/ssh-endpoint-problems.js';
import { AppActionsController } from './app-actions.controller.js';
import { AppStatusController } from './app-status.controller.js';
import { AppChanges } from './app-changes.js';
import { AppStatusService } from './app-status.service.js';
import { AppsController } from './apps.controller.js';
import { AppsService } from './apps.service.js';

/** The apps API; the queue, the operations and the container driver come from their global modules. */
@Module({
  imports: [MetricsModule, NodesModule],
  controllers: [AppsController, AppActionsController, AppStatusController],
  providers: [AppsService, AppChanges, AppStatusService, SshEndpointProblems],
  exports: [AppChanges],
})
export class AppsModule {}
