import { Inject, Injectable } from '@nestjs/common';
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
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(CONFIG) private readonly config: BerthConfig,
    @Inject(STORAGE_ENGINES) private readonly engines: StorageEngines,
    @Inject(STORAGES_QUEUE) private readonly queue: Queue<StorageJobData>,
    private readonly operations: OperationsService,
    private readonly events: EventsService,
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
    return this.change(actor, async (tx) => {
      const storage = await this.find(tx, companyId, id, true);
      if (storage.status !== 'ready') throw new DomainError('conflict', `the storage is ${storage.status}; its password can change once it is ready`);
      if (input.note !== undefined) storage.note = input.note;
      return { storage, kind: StorageJob.Update, status: 'updating', data: { verifier: this.engine(storage).passwordVerifier(input.password!) }, event };
    });
  }

  async remove(companyId: number, id: number, actor: AuditActor): Promise<StorageDto> {
    return this.change(actor, async (tx) => {
      const storage = await this.find(tx, companyId, id, true);
      return { storage, kind: StorageJob.Delete, status: 'deleting', data: {}, event: { action: 'storage.delete', data: { name: storage.name } } };
    });
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
