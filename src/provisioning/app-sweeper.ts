import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Queue } from 'bullmq';
import { DataSource, In } from 'typeorm';
import { App } from '../apps/entities/app.entity.js';
import { every, Periodic } from '../common/periodic.js';
import { BerthConfig } from '../config/config.js';
import { CONFIG } from '../config/config.module.js';
import { CONTAINER_DRIVER, ContainerDriver, ContainerSummary } from '../containers/container-driver.js';
import { EdgeSync } from '../edge/edge-sync.service.js';
import { ACTIVE_STATUSES, Operation } from '../operations/operation.entity.js';
import { Plan } from '../plans/plan.entity.js';
import { containerSpec, STOPPED_MESSAGE } from './app-converger.js';
import { recordObservedStatus } from './observed-status.js';
import { AppJob, AppJobData, appJobOptions } from './jobs.js';
import { APPS_QUEUE } from './queues.module.js';

// The first sweep runs soon after start, so a worker restarted after a crash heals at once.
const FIRST_SWEEP_MS = 1000;

/**
 * The periodic reconcile of every app: compares the database with what Docker
 * runs and queues the app's job wherever they differ (a missing or stopped
 * container of an enabled app, an outdated one, a container of a stopped app,
 * an operation whose job was lost). Containers labelled as this installation's
 * with no app behind them are removed. Heals whatever a crash left half-done.
 */
@Injectable()
export class AppSweeper implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('app-sweeper');
  private loop?: Periodic;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(CONFIG) private readonly config: BerthConfig,
    @Inject(CONTAINER_DRIVER) private readonly driver: ContainerDriver,
    @Inject(APPS_QUEUE) private readonly queue: Queue<AppJobData>,
    private readonly edge: EdgeSync,
  ) {}

  onModuleInit(): void {
    this.loop = every(this.config.jobs.sweepIntervalMs, () => this.sweep(), (err) => this.logger.warn(`sweep: ${err.message}`), FIRST_SWEEP_MS);
  }

  onApplicationShutdown(): void {
    this.loop?.stop();
  }

  /** One reconcile of every app; runs never overlap (the loop starts the next after this one ends). */
  async sweep(): Promise<void> {
    // A Caddy that restarted empty, or lost a route, gets them back (whatever Docker's state).
    await this.edge.sync().catch((err: Error) => this.logger.warn(`edge: ${err.message}`));
    const [apps, plans, active, containers] = await Promise.all([
      this.db.getRepository(App).find(),
      this.db.getRepository(Plan).find(),
      this.db.getRepository(Operation).find({ select: { targetId: true }, where: { targetType: 'app', status: In(ACTIVE_STATUSES) } }),
      this.driver.list(),
    ]);
    const planById = new Map(plans.map((p) => [p.id, p]));
    const busy = new Set(active.map((o) => o.targetId));
    const byApp = new Map<number, ContainerSummary>(containers.map((c) => [c.appId, c]));
    for (const app of apps) {
      if (byApp.get(app.id)?.nodeDown) continue;
      if (busy.has(app.id) || this.differs(app, planById.get(app.planId)!, byApp.get(app.id))) {
        // Deduplicated by the app's job id: an app already queued or being worked on is left alone.
        await this.queue.add(AppJob.Converge, { appId: app.id }, appJobOptions(this.config, app.id));
      } else {
        await this.refreshStatus(app);
      }
    }
    const known = new Set(apps.map((a) => a.id));
    for (const container of containers) {
      if (known.has(container.appId)) continue;
      // Its app is gone (a delete that crashed before it finished, say): the volume is left for an operator.
      await this.driver.remove(container.appId);
      this.logger.warn({ appId: container.appId }, 'removed a container whose app does not exist');
    }
  }

  private differs(app: App, plan: Plan, container: ContainerSummary | undefined): boolean {
    // An app whose node is away waits for it: nothing can be done there, and nothing is undone elsewhere.
    if (container?.nodeDown) return false;
    if (app.deleting) return true;
    if (!app.enabled) return container !== undefined;
    if (!container || !container.running || !container.volumeReady) return true;
    if (app.restartGeneration > app.restartedGeneration) return true;
    if (app.node !== container.node) return true;
    return container.specHash !== containerSpec(app, plan, this.config).specHash;
  }

  /** In line with Docker (running if enabled, no container if not), but the recorded status may be stale: an app that healed, say. */
  private async refreshStatus(app: App): Promise<void> {
    const status = app.enabled ? 'running' : 'stopped';
    if (status !== app.status) await recordObservedStatus(this.db.manager, app.id, status, app.enabled ? 'running' : STOPPED_MESSAGE);
  }
}
