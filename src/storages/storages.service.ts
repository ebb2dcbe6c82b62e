import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Queue } from 'bullmq';
import { randomBytes } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import type { AuditActor } from '../common/access/principal.js';
import { DomainError } from '../common/errors/domain-error.js';
import { Keyset } from '../common/pagination/keyset.js';
import type { Page, PageRequest } from '../common/pagination/page-request.js';
import { assertAccountQuota } from '../companies/account-quotas.js';
import { BerthConfig } from '../config/config.js';
import { CONFIG } from '../config/config.module.js';
import type { EventAction, EventData } from '../events/event-actions.js';
import { EventsService } from '../events/events.service.js';
import { OperationsService } from '../operations/operations.service.js';
import { jobOptions, StorageJob, StorageJobData } from '../provisioning/jobs.js';
import { addWithin, queueConnected, STORAGES_QUEUE } from '../provisioning/queues.module.js';
import { AppChanges } from '../apps/app-changes.js';
import { App } from '../apps/entities/app.entity.js';
import { bindingNames, storagePasswordContext } from '../app-config/binding-vars.js';
import { forgetPasswordIfUnbound } from '../app-config/bound-storages.js';
import { applyingConfig, bindingChanges, recordConfigVersion } from '../app-config/config-versions.js';
import { SECRET_BOX } from '../app-config/secret-box.provider.js';
import { SecretBox } from '../app-config/secret-box.js';
import { CreateStorageDto, StorageDto, UpdateStorageDto } from './dto/storage.dto.js';
import { STORAGE_ENGINES, StorageEngine } from './engines/storage-engine.js';
import type { StorageEngines } from './engines/storage-engines.module.js';
import { Storage, StorageStatus } from './storage.entity.js';

const QUEUE_TIMEOUT_MS = 5000;
const ORDER = Keyset.byId<Storage>('storage.id');
const QUEUE_DOWN = () => new DomainError('unavailable', 'the job queue (Redis) is unavailable; nothing was changed, try again shortly');

// "s" and 12 base-36 characters: safe on both engines, unguessable, short enough for MariaDB's 32.
function generatedName(): string {
  return 's' + BigInt('0x' + randomBytes(8).toString('hex')).toString(36).padStart(12, '0').slice(-12);
}

interface PreparedStorageChange {
  storage: Storage;
  kind: StorageJob;
  status?: StorageStatus;
  /** What the job needs: the password's verifier, never the password (and never in an event). */
  data: Pick<StorageJobData, 'verifier'>;
  event: { action: EventAction; data?: EventData };
}

@Injectable()
export class StoragesService {
  private readonly logger = new Logger('storages');

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(CONFIG) private readonly config: BerthConfig,
    @Inject(STORAGE_ENGINES) private readonly engines: StorageEngines,
    @Inject(STORAGES_QUEUE) private readonly queue: Queue<StorageJobData>,
    private readonly operations: OperationsService,
    private readonly events: EventsService,
    @Inject(SECRET_BOX) private readonly box: SecretBox,
    private readonly appChanges: AppChanges,
  ) {}

  private engine(storage: Pick<Storage, 'type'>): StorageEngine {
    return this.engines.get(storage.type)!;
  }

  toDto(storage: Storage): StorageDto {
    const engine = this.engine(storage);
    return {
      id: storage.id,
      type: storage.type,
      name: storage.name,
      username: storage.username,
      host: engine.appFacing.host,
      port: engine.appFacing.port,
      note: storage.note,
      status: storage.status,
      operation_id: storage.operationId,
      date: storage.createdAt,
    };
  }

  async list(companyId: number, request: PageRequest): Promise<Page<StorageDto>> {
    const query = this.db.getRepository(Storage).createQueryBuilder('storage').where('storage.companyId = :companyId', { companyId });
    const { items, next } = ORDER.page(await ORDER.apply(query, request).getMany(), request);
    return { items: items.map((s) => this.toDto(s)), next };
  }

  async get(companyId: number, id: number): Promise<StorageDto> {
    return this.toDto(await this.find(this.db.manager, companyId, id));
  }

  private async find(tx: EntityManager, companyId: number, id: number, lock = false): Promise<Storage> {
    const storage = await tx.getRepository(Storage).findOne({ where: { id, companyId }, lock: lock ? { mode: 'pessimistic_write' } : undefined });
    if (!storage) throw DomainError.notFound('storage');
    return storage;
  }

  async create(companyId: number, input: CreateStorageDto, actor: AuditActor): Promise<StorageDto> {
    const engine = this.engines.get(input.type)!;
    const verifier = engine.passwordVerifier(input.password);
    return this.change(actor, async (tx) => {
      // Serialise creates per company so two at once cannot both slip under the cap.
      await tx.query('SELECT id FROM companies WHERE id = $1 FOR UPDATE', [companyId]);
      const count = await tx.getRepository(Storage).count({ where: { companyId } });
      if (count >= this.config.storages.perCompany) {
        throw new DomainError('quota_exceeded', `this company has ${count} storages, the most it may have (${this.config.storages.perCompany})`);
      }
      await assertAccountQuota(tx, companyId, 'storages', this.config.storages.perAccount);
      const name = generatedName();
      const storage = await tx.save(tx.create(Storage, { companyId, type: input.type, name, username: name, note: input.note ?? '', status: 'creating' }));
      return { storage, kind: StorageJob.Create, data: { verifier }, event: { action: 'storage.create', data: { type: storage.type, name } } };
    });
  }

  async update(companyId: number, id: number, input: UpdateStorageDto, actor: AuditActor): Promise<StorageDto> {
    if (input.password === undefined && input.note === undefined) {
      throw DomainError.validation({ password: ['give a new password, a note, or both'] });
    }
    if (input.password === undefined) {
      // A note lives only in Berth: no operation, nothing on the server changes.
      return this.db.transaction(async (tx) => {
        const storage = await this.find(tx, companyId, id, true);
        await tx.getRepository(Storage).update({ id, companyId }, { note: input.note });
        await this.events.record(tx, actor, { action: 'storage.note', companyId, target: { type: 'storage', id }, data: { fields: ['note'] } });
        return this.toDto({ ...storage, note: input.note! });
      });
    }
    // The password's own action, so it can be looked for; the fields by name, never the password.
    const event = { action: 'storage.password' as const, data: { fields: input.note === undefined ? ['password'] : ['password', 'note'] } };
    let bound: Array<{ appId: number; prefix: string }> = [];
    const dto = await this.change(actor, async (tx) => {
      const storage = await this.find(tx, companyId, id, true);
      if (storage.status !== 'ready') throw new DomainError('conflict', `the storage is ${storage.status}; its password can change once it is ready`);
      if (input.note !== undefined) storage.note = input.note;
      bound = await this.bindingsOf(tx, id);
      // Bound apps get the new password as their `_PASSWORD`: it is kept, sealed, while they need it.
      if (bound.length > 0) storage.sealedPassword = this.box.seal(input.password!, storagePasswordContext(id));
      return { storage, kind: StorageJob.Update, status: 'updating', data: { verifier: this.engine(storage).passwordVerifier(input.password!) }, event };
    });
    for (const { appId, prefix } of bound) await this.reapply(companyId, appId, prefix, id, actor);
    return dto;
  }

  private async bindingsOf(tx: EntityManager, storageId: number): Promise<Array<{ appId: number; prefix: string; appName: string }>> {
    const rows: Array<{ app_id: number; prefix: string; name: string }> = await tx.query(
      'SELECT b.app_id, b.prefix, a.name FROM app_bindings b JOIN apps a ON a.id = b.app_id WHERE b.storage_id = $1 ORDER BY a.name',
      [storageId],
    );
    return rows.map((r) => ({ appId: r.app_id, prefix: r.prefix, appName: r.name }));
  }

  /** A bound app is made again with the storage's new password, as a config version of its own. */
  private async reapply(companyId: number, appId: number, prefix: string, storageId: number, actor: AuditActor): Promise<void> {
    const names = [`${prefix}_URL`, `${prefix}_PASSWORD`];
    try {
      await this.appChanges.record(companyId, appId, actor, async (tx, app) => {
        await recordConfigVersion(tx, app!, bindingChanges(names, 'set'), actor, this.config.appConfig.versionsKept);
        return applyingConfig(app!, { action: 'app.config', data: { version: app!.configVersion, set: names, unset: [], applied: true, storage_id: storageId } });
      });
    } catch (err) {
      // The storage's change stands (it is queued); the app gets the new password with its next restart.
      if (!(err instanceof DomainError)) throw err;
      this.logger.warn({ appId, storageId, reason: err.message }, 'a bound app was not restarted with the storage\'s new password; its next restart applies it');
    }
  }

  async remove(companyId: number, id: number, actor: AuditActor, force = false): Promise<StorageDto> {
    return this.change(actor, async (tx) => {
      const storage = await this.find(tx, companyId, id, true);
      const bound = await this.bindingsOf(tx, id);
      if (bound.length > 0 && !force) {
        throw new DomainError('conflict', `the storage is bound to ${bound.length === 1 ? 'app' : 'apps'} ${bound.map((b) => b.appName).join(', ')}: unbind it first, or delete with ?force=true`);
      }
      for (const { appId, prefix } of bound) await this.forceUnbind(tx, companyId, appId, prefix, id, actor);
      return { storage, kind: StorageJob.Delete, status: 'deleting', data: {}, event: { action: 'storage.delete', data: { name: storage.name } } };
    });
  }

  /** A forced delete unbinds: the app's next restart drops the variables (its container runs on until then). */
  private async forceUnbind(tx: EntityManager, companyId: number, appId: number, prefix: string, storageId: number, actor: AuditActor): Promise<void> {
    const app = await tx.getRepository(App).findOneOrFail({ where: { id: appId }, lock: { mode: 'pessimistic_write' } });
    await tx.query('DELETE FROM app_bindings WHERE app_id = $1 AND storage_id = $2', [appId, storageId]);
    await forgetPasswordIfUnbound(tx, storageId);
    await recordConfigVersion(tx, app, bindingChanges(bindingNames(prefix), 'unset'), actor, this.config.appConfig.versionsKept);
    await tx.getRepository(App).update({ id: appId }, { configVersion: app.configVersion });
    await this.events.record(tx, actor, { action: 'app.unbind', companyId, target: { type: 'app', id: appId }, data: { storage_id: storageId, prefix, version: app.configVersion, applied: false } });
  }

  /**
   * Records the change and its operation in one transaction, then queues the job
   * (after the commit, so a worker never looks for rows it cannot see yet). If the
   * queue cannot take the job (Redis away), the change is undone and the client
   * gets 503: nothing is left half-done. The change's audit event is recorded only then, once
   * the change can no longer be undone, so no event claims a change that never was.
   */
  private async change(actor: AuditActor, prepare: (tx: EntityManager) => Promise<PreparedStorageChange>): Promise<StorageDto> {
    if (!queueConnected(this.queue)) throw QUEUE_DOWN();
    const { storage, kind, previous, operationId, data, event } = await this.db.transaction(async (tx) => {
      const { storage, kind, status, data, event } = await prepare(tx);
      const previous = storage.status;
      const operation = await this.operations.begin(tx, storage.companyId, kind, 'storage', storage.id);
      storage.operationId = operation.id;
      if (status) storage.status = status;
      await tx.save(storage);
      return { storage, kind, previous, operationId: operation.id, data, event };
    });
    try {
      await addWithin(this.queue, QUEUE_TIMEOUT_MS, kind, { operationId, storageId: storage.id, ...data }, jobOptions(this.config, operationId));
    } catch {
      // Should the job arrive after all, the worker finds its operation ended and does nothing.
      await this.db.transaction(async (tx) => {
        await this.operations.fail(operationId, 'not started: the job queue was unavailable', tx);
        if (kind === StorageJob.Create) await tx.getRepository(Storage).delete({ id: storage.id });
        else await tx.getRepository(Storage).update({ id: storage.id }, { status: previous });
      });
      throw QUEUE_DOWN();
    }
    const target = { type: 'storage' as const, id: storage.id };
    await this.events.recordAfter(actor, { action: event.action, companyId: storage.companyId, target, data: { ...event.data, operation_id: operationId } });
    return this.toDto(storage);
  }
}
