import { Module } from '@nestjs/common';
import { MetricsController } from './metrics.controller.js';
import { MetricsSampler } from './metrics-sampler.js';
import { MetricsService } from './metrics.service.js';
import { MetricsWriter } from './metrics-writer.js';

/** Apps' metrics API: series over time, and the latest CPU figure for apps-status. */
@Module({ controllers: [MetricsController], providers: [MetricsService], exports: [MetricsService] })
export class MetricsModule {}

/** The worker side: samples every running app's container and keeps the readings. */
@Module({ providers: [MetricsSampler, MetricsWriter] })
export class MetricsWorkerModule {}
