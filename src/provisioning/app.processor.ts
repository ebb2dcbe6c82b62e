import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Job, UnrecoverableError, Worker } from 'bullmq';
import { DataSource } from 'typeorm';
import { App } from '../apps/entities/app.entity.js';
import { BerthConfig } from '../config/config.js';
import { CONFIG } from '../config/config.module.js';
import { ContainerSpecError } from '../containers/container-driver.js';
import { VOLUME_STORE, VolumeStore } from '../containers/volumes/volume-store.js';
import { EdgeSync } from '../edge/edge-sync.service.js';
import { Operation } from '../operations/operation.entity.js';
import { OperationsService } from '../operations/operations.service.js';
import { ReleaseDeployer } from '../releases/release-deployer.js';
import { AppConverger, Converged } from './app-converger.js';
import { AppJobData, failureMessage, QueueName } from './jobs.js';
import { recordObservedStatus } from './observed-status.js';
import { closeConsumer, consumer } from './queues.module.js';

const CONCURRENCY = 4;
// A job takes on changes recorded while it ran (their own add was deduplicated away), oldest
// first, up to this many; any left are picked up by the next sweep.
const MAX_ROUNDS = 50;

/** An error of a run, with the operation that run was carrying out (null: a sweep's run). */
interface FailedRun {
  operationId: number | null;
}

function failure<E extends Error>(err: E, operation: Operation | null): E & FailedRun {
  return Object.assign(err, { operationId: operation?.id ?? null });
}

/**
 * Consumes the apps queue: one job per app (`app-<id>`), which converges the
 * app and finishes its unfinished operation. Retries back off exponentially;
 * the last failure ends the operation in error with the reason.
 */
@Injectable()
export class AppProcessor implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('app-worker');
  private worker?: Worker<AppJobData>;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(CONFIG) private readonly config: BerthConfig,
    private readonly operations: OperationsService,
    private readonly converger: AppConverger,
    private readonly edge: EdgeSync,
    private readonly releases: ReleaseDeployer,
    @Inject(VOLUME_STORE) private readonly volumes: VolumeStore | null,
  ) {}

  async onModuleInit(): Promise<void> {
    // A worker that could not give apps their /srv would fail every operation: it does not start.
    await this.volumes?.check();
    this.worker = consumer<AppJobData>(QueueName.Apps, this.config, (job) => this.process(job), {
      concurrency: CONCURRENCY,
      // A worker killed mid-job loses its lock; another (or the restarted one) takes the job over after this.
      lockDuration: this.config.jobs.lockMs,
      stalledInterval: this.config.jobs.lockMs,
    });
    this.worker.on('failed', (job, err) => void this.onFailed(job, err).catch((e) => this.logger.error(`recording a failure: ${e.message}`)));
    this.worker.on('error', (err) => this.logger.warn(`app worker: ${err.message}`));
  }

  async onApplicationShutdown(): Promise<void> {
    await closeConsumer(this.worker);
  }

  async process(job: Job<AppJobData>): Promise<void> {
    const { appId } = job.data;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const operation = await this.operations.active('app', appId);
      const app = await this.db.getRepository(App).findOne({ where: { id: appId } });
      if (!app) {
        if (operation) await this.operations.succeed(operation.id, 'the app no longer exists');
        return;
      }
      const log = { jobId: job.id, appId, companyId: app.companyId, operationId: operation?.id };
      if (operation) await this.operations.start(operation.id, job.attemptsMade + 1);
      let result: Converged;
      try {
        result = await this.converger.converge(app);
        // Part of the operation: a domain change is live at the edge once the operation succeeds.
        await this.edge.sync();
        // A release deploys into the container just converged; its outcome is the operation's.
        const released = await this.releases.converge(app, operation);
        if (released) result = { status: 'running', ...released };
      } catch (err) {
        const message = failureMessage(err);
        if (err instanceof ContainerSpecError) throw failure(new UnrecoverableError(message), operation);
        this.logger.warn({ ...log, attempt: job.attemptsMade + 1 }, `converging failed: ${message}`);
        if (operation && job.attemptsMade + 1 < (job.opts.attempts ?? 1)) {
          await this.operations.retrying(operation.id, `try ${job.attemptsMade + 1} failed, will retry: ${message}`);
        }
        throw failure(new Error(message), operation);
      }
      await this.finish(app, operation, result);
      if (operation) this.logger.log(log, `${operation.kind} done: ${result.message}`);
      const next = await this.operations.active('app', appId);
      if (!next || next.id === operation?.id) return;
    }
  }

  private async finish(app: App, operation: Operation | null, result: Converged): Promise<void> {
    // Changes queued behind this one were already part of the desired state it converged to: say so.
    if (operation && app.operationId !== null && app.operationId > operation.id) {
      result = { ...result, message: `${result.message} (with the changes up to operation ${app.operationId}, which came after)` };
    }
    await this.db.transaction(async (tx) => {
      if (app.deleting) {
        await tx.getRepository(App).delete({ id: app.id });
      } else if (operation) {
        await tx.getRepository(App).update({ id: app.id }, { status: result.status, statusMessage: result.message });
      } else {
        await recordObservedStatus(tx, app.id, result.status, result.message);
      }
      if (operation && result.failed) await this.operations.fail(operation.id, result.message, tx);
      else if (operation) await this.operations.succeed(operation.id, result.message, tx);
    });
  }

  /** The last try failed: the operation ends in error with the reason, and the app says so. */
  private async onFailed(job: Job<AppJobData> | undefined, err: Error): Promise<void> {
    if (!job) return;
    const final = err instanceof UnrecoverableError || err.name === 'UnrecoverableError' || job.attemptsMade >= (job.opts.attempts ?? 1);
    if (!final) return;
    const { appId } = job.data;
    const tries = `${job.attemptsMade} ${job.attemptsMade === 1 ? 'try' : 'tries'}`;
    const message = `failed after ${tries}: ${err.message}`;
    // Only the operation the failed run worked on ends: one recorded since (a delete, say) is still to come.
    const operationId = (err as Partial<FailedRun>).operationId ?? null;
    await this.db.transaction(async (tx) => {
      if (operationId === null) return recordObservedStatus(tx, appId, 'error', message);
      await this.operations.fail(operationId, message, tx);
      await this.releases.abandon(operationId, message, tx);
      await tx.getRepository(App).update({ id: appId }, { status: 'error', statusMessage: message });
    });
    this.logger.warn({ jobId: job.id, appId }, message);
  }
}
