import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, FindOptionsWhere, IsNull, MoreThanOrEqual } from 'typeorm';
import type { AuditActor } from '../common/access/principal.js';
import { Keyset } from '../common/pagination/keyset.js';
import type { Page, PageRequest } from '../common/pagination/page-request.js';
import { EventDto, ListEventsQueryDto } from './dto/event.dto.js';
import type { EventAction, EventTargetType, NewEvent } from './event-actions.js';
import { AuditEvent } from './event.entity.js';

/** Lists answer the newest events only, until lists share one way to page. */
// Newest first, by id: the order events were written in.
const ORDER = Keyset.byId<AuditEvent>('event.id', 'DESC');

function toDto(e: AuditEvent): EventDto {
  return {
    id: e.id,
    action: e.action as EventAction,
    account_id: e.accountId,
    token_id: e.tokenId,
    ip: e.ip,
    target_type: e.targetType as EventTargetType | null,
    target_id: e.targetId,
    data: e.data,
    created_at: e.createdAt,
  };
}

/**
 * Records changes as audit events and lists them. Only inserts: there is no way here, or
 * anywhere else in Berth, to change or remove an event once recorded.
 */
@Injectable()
export class EventsService {
  private readonly logger = new Logger('events');

  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Records an event in the change's own transaction: a change rolled back leaves none. */
  async record(tx: EntityManager, actor: AuditActor, event: NewEvent): Promise<void> {
    await tx.insert(AuditEvent, {
      companyId: event.companyId,
      accountId: actor.accountId,
      tokenId: actor.tokenId,
      ip: actor.ip,
      action: event.action,
      targetType: event.target?.type ?? null,
      targetId: event.target === null ? null : String(event.target.id),
      data: event.data ?? {},
    });
  }

  /**
   * Records an event once its change stands beyond a transaction (an app's or storage's job was
   * queued), or of an attempt that changed nothing (a failed login). Never throws: the change is
   * made and must answer as such; an event that could not be written goes to the log instead.
   */
  async recordAfter(actor: AuditActor, event: NewEvent): Promise<void> {
    try {
      await this.record(this.db.manager, actor, event);
    } catch (err) {
      this.logger.error({ event: { ...event, ...actor }, err: (err as Error).message }, 'audit event not recorded');
    }
  }

  /** A company's events, newest first. */
  listForCompany(companyId: number, filter: ListEventsQueryDto, page: PageRequest): Promise<Page<EventDto>> {
    return this.list({ companyId }, filter, page);
  }

  /** An account's own events (those of no company), newest first. */
  listForAccount(accountId: number, filter: Pick<ListEventsQueryDto, 'action' | 'since'>, page: PageRequest): Promise<Page<EventDto>> {
    return this.list({ accountId, companyId: IsNull() }, filter, page);
  }

  private async list(scope: FindOptionsWhere<AuditEvent>, filter: ListEventsQueryDto, page: PageRequest): Promise<Page<EventDto>> {
    const where: FindOptionsWhere<AuditEvent> = { ...scope };
    if (filter.action) where.action = filter.action;
    if (filter.target_type) where.targetType = filter.target_type;
    if (filter.target_id) where.targetId = filter.target_id;
    if (filter.since) where.createdAt = MoreThanOrEqual(new Date(filter.since));
    const query = this.db.getRepository(AuditEvent).createQueryBuilder('event').where(where);
    const { items, next } = ORDER.page(await ORDER.apply(query, page).getMany(), page);
    return { items: items.map(toDto), next };
  }
}
