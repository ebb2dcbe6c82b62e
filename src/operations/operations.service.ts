import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Brackets, DataSource, EntityManager, In } from 'typeorm';
import { violated } from '../common/errors/constraint.js';
import { DomainError } from '../common/errors/domain-error.js';
import { Keyset } from '../common/pagination/keyset.js';
import type { Page, PageRequest } from '../common/pagination/page-request.js';
import { OperationDto } from './dto/operation.dto.js';
import { ACTIVE_STATUSES, Operation, TargetType } from './operation.entity.js';

export function toOperationDto(op: Operation): OperationDto {
  return {
    id: op.id,
    kind: op.kind,
    target_type: op.targetType,
    target_id: op.targetId,
    status: op.status,
    message: op.message,
    created_at: op.createdAt,
    started_at: op.startedAt,
    finished_at: op.finishedAt,
  };
}

// Newest first: what a client following its changes wants on the first page.
const ORDER = Keyset.byId<Operation>('op.id', 'DESC');

@Injectable()
export class OperationsService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * Records a pending operation inside the caller's transaction. A storage takes one
   * change at a time (a second is a 409); an app's wait their turn after the ones before.
   */
  async begin(tx: EntityManager, companyId: number, kind: string, targetType: TargetType, targetId: number): Promise<Operation> {
    try {
      return await tx.save(tx.create(Operation, { companyId, kind, targetType, targetId, status: 'pending', message: 'waiting for a worker' }));
    } catch (err) {
      if (violated(err, 'operations_one_active_per_storage')) {
        throw new DomainError('conflict', `another operation is still running on this ${targetType}; wait for it to finish`);
      }
      throw err;
    }
  }

  /** The target's oldest unfinished operation, if any: the one to carry out next. */
  active(targetType: TargetType, targetId: number, tx: EntityManager = this.db.manager): Promise<Operation | null> {
    return tx.getRepository(Operation).findOne({ where: { targetType, targetId, status: In(ACTIVE_STATUSES) }, order: { id: 'ASC' } });
  }

  async get(companyId: number, id: number): Promise<OperationDto> {
    const op = await this.db.getRepository(Operation).findOne({ where: { id, companyId } });
    if (!op) throw DomainError.notFound('operation');
    return toOperationDto(op);
  }

  /** Newest first; with both filters, the operations on either target. */
  async list(companyId: number, filter: { app?: number; storage?: number }, request: PageRequest): Promise<Page<OperationDto>> {
    const query = this.db.getRepository(Operation).createQueryBuilder('op').where('op.companyId = :companyId', { companyId });
    if (filter.app || filter.storage) {
      query.andWhere(
        new Brackets((or) => {
          if (filter.app) or.orWhere(`(op.targetType = 'app' AND op.targetId = :app)`, { app: filter.app });
          if (filter.storage) or.orWhere(`(op.targetType = 'storage' AND op.targetId = :storage)`, { storage: filter.storage });
        }),
      );
    }
    const { items, next } = ORDER.page(await ORDER.apply(query, request).getMany(), request);
    return { items: items.map(toOperationDto), next };
  }

  /** A worker picked the operation up (again, on a retry); false when it has already ended. */
  async start(id: number, attempt: number): Promise<boolean> {
    const result = await this.db.getRepository(Operation).update({ id, status: In(ACTIVE_STATUSES) }, {
      status: 'running',
      attempts: attempt,
      startedAt: () => 'COALESCE(started_at, now())',
      message: attempt > 1 ? `running (try ${attempt})` : 'running',
    });
    return (result.affected ?? 0) > 0;
  }

  async succeed(id: number, message: string, tx: EntityManager = this.db.manager): Promise<void> {
    await tx.getRepository(Operation).update({ id }, { status: 'success', message, finishedAt: () => 'now()' });
  }

  async fail(id: number, message: string, tx: EntityManager = this.db.manager): Promise<void> {
    await tx.getRepository(Operation).update({ id }, { status: 'error', message, finishedAt: () => 'now()' });
  }

  /** What a running operation is doing now (a deploy's step, say), for clients following it. */
  async progress(id: number, message: string): Promise<void> {
    await this.db.getRepository(Operation).update({ id, status: 'running' }, { message });
  }

  /** A try failed and another will follow after a delay: say so while it waits. */
  async retrying(id: number, message: string): Promise<void> {
    await this.db.getRepository(Operation).update({ id, status: In(ACTIVE_STATUSES) }, { status: 'pending', message });
  }
}
