import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Job, Queue, UnrecoverableError, Worker } from 'bullmq';
import { DataSource, In, LessThan } from 'typeorm';
import { every, Periodic } from '../common/periodic.js';
import { BerthConfig } from '../config/config.js';
import { CONFIG } from '../config/config.module.js';
import { ACTIVE_STATUSES, Operation } from '../operations/operation.entity.js';
import { OperationsService } from '../operations/operations.service.js';
import { failureMessage, QueueName, StorageJob, StorageJobData } from '../provisioning/jobs.js';
import { closeConsumer, consumer, STORAGES_QUEUE } from '../provisioning/queues.module.js';
import { STORAGE_ENGINES, StorageMissingError } from './engines/storage-engine.js';
import type { StorageEngines } from './engines/storage-engines.module.js';
import { Storage } from './storage.entity.js';

const CONCURRENCY = 4;
// A job is in the queue from the moment its operation is committed; give slow starts a margin.
const LOST_AFTER_MS = 60_000;

/**
 * Makes storages on the database servers match what the API recorded. Every
 * step is idempotent (ensure, set password, drop), so a retried job or one run
 * twice converges instead of failing on what the first try already did.
 */
@Injectable()
export class StorageProcessor implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('storage-worker');
  private worker?: Worker<StorageJobData>;
  private sweeper?: Periodic;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(CONFIG) private readonly config: BerthConfig,
    @Inject(STORAGE_ENGINES) private readonly engines: StorageEngines,
    private readonly operations: OperationsService,
    @Inject(STORAGES_QUEUE) private readonly queue: Queue<StorageJobData>,
  ) {}

  onModuleInit(): void {
    // One sweep at a time: a slow one is not joined by the next.
    this.sweeper = every(this.config.jobs.sweepIntervalMs, () => this.sweep(), (err) => this.logger.warn(`sweep: ${err.message}`));
    this.worker = consumer<StorageJobData>(QueueName.Storages, this.config, (job) => this.process(job), { concurrency: CONCURRENCY });
    this.worker.on('failed', (job, err) => void this.onFailed(job, err));
    this.worker.on('error', (err) => this.logger.warn(`storage worker: ${err.message}`));
  }

  async onApplicationShutdown(): Promise<void> {
    this.sweeper?.stop();
    await closeConsumer(this.worker);
  }

  async sweep(): Promise<void> {
    await this.endLostOperations();
    await this.conformUsers();
  }

  /**
   * Storages made before a limit existed, or under another STORAGE_CONNECTIONS_PER_USER,
   * are brought to the configured one. One query per engine when nothing is off.
   */
  private async conformUsers(): Promise<void> {
    const storages = await this.db.getRepository(Storage).find({ select: { type: true, username: true }, where: { status: In(['ready', 'updating']) } });
    for (const [type, engine] of this.engines) {
      const changed = await engine.conform(storages.filter((s) => s.type === type).map((s) => s.username));
      if (changed > 0) this.logger.log({ type, changed }, 'storage users brought to the connection limit');
    }
  }

  /**
   * An unfinished operation whose job is gone (Redis lost its data, say) would
   * stay pending forever. Its job cannot be rebuilt (the verifier was never
   * stored), so it is ended with a message that says what to do.
   */
  private async endLostOperations(): Promise<void> {
    const stale = await this.db.getRepository(Operation).find({
      where: { targetType: 'storage', status: In(ACTIVE_STATUSES), createdAt: LessThan(new Date(Date.now() - LOST_AFTER_MS)) },
    });
    for (const op of stale) {
      if (await this.queue.getJob(`op-${op.id}`)) continue;
      await this.db.transaction(async (tx) => {
        // A job removes itself only after recording its outcome: re-read under a lock to not overwrite one.
        const current = await tx.getRepository(Operation).findOne({ where: { id: op.id }, lock: { mode: 'pessimistic_write' } });
        if (!current || !ACTIVE_STATUSES.includes(current.status)) return;
        const storage = await tx.getRepository(Storage).findOne({ where: { id: op.targetId } });
        if (storage) await tx.getRepository(Storage).update({ id: storage.id }, { status: storage.status === 'updating' ? 'ready' : 'error' });
        await this.operations.fail(op.id, 'lost: its job disappeared from the queue before it finished; repeat the change', tx);
        this.logger.warn({ operationId: op.id }, 'ended a lost operation');
      });
    }
  }

  async process(job: Job<StorageJobData>): Promise<void> {
    const { operationId, storageId, verifier } = job.data;
    // A job that arrives for an operation already ended (the API gave up on the queue) must not act.
    if (!(await this.operations.start(operationId, job.attemptsMade + 1))) {
      this.logger.warn({ jobId: job.id, operationId }, 'operation already finished; job skipped');
      return;
    }
    const storage = await this.db.getRepository(Storage).findOne({ where: { id: storageId } });
    if (!storage) throw new UnrecoverableError('the storage no longer exists');
    const engine = this.engines.get(storage.type)!;
    const log = { jobId: job.id, operationId, storageId, companyId: storage.companyId };
    try {
      switch (job.name as StorageJob) {
        case StorageJob.Create:
          await engine.ensure(storage.name, storage.username, verifier!);
          await this.finish(storage, 'ready', operationId, `database ${storage.name} and user ${storage.username} are ready`);
          break;
        case StorageJob.Update:
          await engine.setPassword(storage.username, verifier!);
          await this.finish(storage, 'ready', operationId, 'password changed');
          break;
        case StorageJob.Delete:
          await engine.drop(storage.name, storage.username);
          await this.db.transaction(async (tx) => {
            await tx.getRepository(Storage).delete({ id: storage.id });
            await this.operations.succeed(operationId, `database ${storage.name} and user ${storage.username} dropped`, tx);
          });
          break;
        default:
          throw new UnrecoverableError(`unknown job ${job.name}`);
      }
      this.logger.log(log, `${job.name} done`);
    } catch (err) {
      if (err instanceof StorageMissingError) throw new UnrecoverableError(failureMessage(err, verifier));
      const message = failureMessage(err, verifier);
      this.logger.warn({ ...log, attempt: job.attemptsMade + 1 }, `${job.name} failed: ${message}`);
      if (job.attemptsMade + 1 < (job.opts.attempts ?? 1)) await this.operations.retrying(operationId, `try ${job.attemptsMade + 1} failed, will retry: ${message}`);
      throw new Error(message);
    }
  }

  private async finish(storage: Storage, status: Storage['status'], operationId: number, message: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.getRepository(Storage).update({ id: storage.id }, { status });
      await this.operations.succeed(operationId, message, tx);
    });
  }

  /** The last try failed: record why, and leave nothing half-made on the server. */
  private async onFailed(job: Job<StorageJobData> | undefined, err: Error): Promise<void> {
    if (!job) return;
    const final = err instanceof UnrecoverableError || err.name === 'UnrecoverableError' || job.attemptsMade >= (job.opts.attempts ?? 1);
    if (!final) return;
    const { operationId, storageId } = job.data;
    const storage = await this.db.getRepository(Storage).findOne({ where: { id: storageId } });
    let message = `failed after ${job.attemptsMade} ${job.attemptsMade === 1 ? 'try' : 'tries'}: ${err.message}`;
    if (storage && job.name === StorageJob.Create) {
      // A create that gave up must not leave a user without a database (or the reverse).
      const cleaned = await this.engines.get(storage.type)!.drop(storage.name, storage.username).then(() => true, () => false);
      if (!cleaned) message += '; could not reach the server to remove what was made, delete the storage to retry';
    }
    await this.db.transaction(async (tx) => {
      if (storage) await tx.getRepository(Storage).update({ id: storage.id }, { status: job.name === StorageJob.Update ? 'ready' : 'error' });
      await this.operations.fail(operationId, message, tx);
    });
  }
}
