import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Queue } from 'bullmq';
import { DataSource, EntityManager } from 'typeorm';
import type { AuditActor } from '../common/access/principal.js';
import { DomainError } from '../common/errors/domain-error.js';
import { within } from '../common/within.js';
import { BerthConfig } from '../config/config.js';
import { CONFIG } from '../config/config.module.js';
import { CONTAINER_DRIVER, ContainerDriver } from '../containers/container-driver.js';
import type { EventAction, EventData } from '../events/event-actions.js';
import { EventsService } from '../events/events.service.js';
import { OperationsService } from '../operations/operations.service.js';
import { AppJob, AppJobData, appJobOptions, AppOperation } from '../provisioning/jobs.js';
import { addWithin, APPS_QUEUE, queueConnected } from '../provisioning/queues.module.js';
import { AppConfigVar } from '../app-config/entities/app-config-var.entity.js';
import { AppConfigVersion } from '../app-config/entities/app-config-version.entity.js';
import { AppDomain } from './entities/app-domain.entity.js';
import { App, AppStatus } from './entities/app.entity.js';

const QUEUE_TIMEOUT_MS = 5000;
const ENGINE_TIMEOUT_MS = 3000;

interface Snapshot {
  app: App;
  domains: AppDomain[];
  /** The app's variables as they were: a config change undone puts them back. */
  vars: AppConfigVar[];
}

export interface PreparedChange {
  app: App;
  kind: AppOperation;
  /** What the app's status says while the operation runs. */
  status: AppStatus;
  created?: boolean;
  /** The audit event of the change (its target is the app, its data gains the operation's id). */
  event: { action: EventAction; data?: EventData };
  /** Records what belongs to the operation (a release, say) in the same transaction, once its id is known. */
  attach?: (tx: EntityManager, operationId: number) => Promise<void>;
  /** Takes back what `prepare` and `attach` recorded beyond the app's own rows, should the queue refuse the job. */
  undo?: (tx: EntityManager) => Promise<void>;
}

/**
 * Records a change to an app's infrastructure: the new desired state and its
 * operation in one transaction, then the app's job. When Docker or the queue is
 * away the caller gets 503 and nothing is recorded, or what was recorded is
 * undone: no operation is left waiting for a job that will never come.
 */
@Injectable()
export class AppChanges {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(CONFIG) private readonly config: BerthConfig,
    @Inject(APPS_QUEUE) private readonly queue: Queue<AppJobData>,
    @Inject(CONTAINER_DRIVER) private readonly driver: ContainerDriver,
    private readonly operations: OperationsService,
    private readonly events: EventsService,
  ) {}

  /** 503 before anything is written, when a change could not be carried out now. */
  async assertReady(): Promise<void> {
    if (!queueConnected(this.queue)) throw new DomainError('unavailable', 'the job queue (Redis) is unavailable; nothing was changed, try again shortly');
    try {
      await within(this.driver.ping(), ENGINE_TIMEOUT_MS, 'the Docker engine');
    } catch {
      throw new DomainError('unavailable', 'the container engine (Docker) is unavailable; nothing was changed, try again shortly');
    }
  }

  /**
   * Runs `prepare` in a transaction that also records the operation, then queues
   * the app's job. With an `appId`, the app is locked and handed to `prepare`
   * (404 when the company has no such app); without one, `prepare` creates it.
   *
   * The change's audit event is recorded once the job is queued: until then the change may
   * still be undone (the queue refusing it is a 503, "nothing was changed"), and an event must
   * not claim a change that never was.
   */
  async record(companyId: number, appId: number | null, actor: AuditActor, prepare: (tx: EntityManager, app: App | null) => Promise<PreparedChange>): Promise<App> {
    await this.assertReady();
    const { app, kind, created, before, event, undo } = await this.db.transaction(async (tx) => {
      // What to put back should the queue refuse the job (nothing for a create: the row goes).
      const before = appId === null ? null : await this.lockedSnapshot(tx, companyId, appId);
      const change = await prepare(tx, before ? tx.getRepository(App).create({ ...before.app }) : null);
      const operation = await this.operations.begin(tx, companyId, change.kind, 'app', change.app.id);
      change.app.operationId = operation.id;
      await change.attach?.(tx, operation.id);
      change.app.status = change.status;
      change.app.statusMessage = `${change.kind} waiting for a worker`;
      await tx.save(change.app);
      return { ...change, before };
    });
    try {
      await addWithin(this.queue, QUEUE_TIMEOUT_MS, AppJob.Converge, { appId: app.id }, appJobOptions(this.config, app.id));
    } catch {
      // Should the job arrive after all, it finds no operation to run and the app as it was.
      await this.db.transaction(async (tx) => {
        await this.operations.fail(app.operationId!, 'not started: the job queue was unavailable', tx);
        await undo?.(tx);
        if (created) await tx.getRepository(App).delete({ id: app.id });
        else if (before) await this.restore(tx, before);
      });
      throw new DomainError('unavailable', `the job queue (Redis) is unavailable; ${kind} was not started, try again shortly`);
    }
    const data = { ...event.data, operation_id: app.operationId };
    await this.events.recordAfter(actor, { action: event.action, companyId, target: { type: 'app', id: app.id }, data });
    return app;
  }

  private async lockedSnapshot(tx: EntityManager, companyId: number, appId: number): Promise<Snapshot> {
    const app = await tx.getRepository(App).findOne({ where: { id: appId, companyId }, lock: { mode: 'pessimistic_write' } });
    if (!app) throw DomainError.notFound('app');
    const domains = await tx.getRepository(AppDomain).find({ where: { appId } });
    const vars = await tx.getRepository(AppConfigVar).find({ where: { appId } });
    return { app, domains, vars };
  }

  /** Puts the desired state back as it was; the failed operation stays the app's latest, for the record. */
  private async restore(tx: EntityManager, before: Snapshot): Promise<void> {
    const { app } = before;
    await tx.getRepository(App).update(
      { id: app.id },
      {
        image: app.image,
        planId: app.planId,
        mode: app.mode,
        appPort: app.appPort,
        sshKeys: app.sshKeys,
        sshPasswordHash: app.sshPasswordHash,
        enabled: app.enabled,
        deleting: app.deleting,
        rebuildGeneration: app.rebuildGeneration,
        restartGeneration: app.restartGeneration,
        configVersion: app.configVersion,
        configTargetVersion: app.configTargetVersion,
        status: app.status,
        statusMessage: app.statusMessage,
      },
    );
    await tx.getRepository(AppDomain).delete({ appId: app.id });
    if (before.domains.length > 0) await tx.getRepository(AppDomain).insert(before.domains);
    await tx.getRepository(AppConfigVar).delete({ appId: app.id });
    if (before.vars.length > 0) await tx.getRepository(AppConfigVar).insert(before.vars);
    await tx.createQueryBuilder().delete().from(AppConfigVersion).where('app_id = :id AND version > :v', { id: app.id, v: app.configVersion }).execute();
  }
}
