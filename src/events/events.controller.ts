import { Controller, Get, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Authenticated, CompanyRoute } from '../common/access/access.decorator.js';
import { CurrentCompany, CurrentPrincipal } from '../common/access/current.decorator.js';
import type { CompanyContext, Principal } from '../common/access/principal.js';
import { PageQuery, Paginated } from '../common/pagination/paginated.decorator.js';
import type { Page, PageRequest } from '../common/pagination/page-request.js';
import { EventDto, ListAccountEventsQueryDto, ListEventsQueryDto } from './dto/event.dto.js';
import { EventsService } from './events.service.js';

@ApiTags('events')
@CompanyRoute('admin')
@Controller(':company_id/events')
export class CompanyEventsController {
  constructor(private readonly events: EventsService) {}

  /** Who changed what in the company, from where and when: newest first, optionally filtered. */
  @Get()
  @Paginated(EventDto)
  listCompanyEvents(@CurrentCompany() company: CompanyContext, @Query() query: ListEventsQueryDto, @PageQuery() page: PageRequest): Promise<Page<EventDto>> {
    return this.events.listForCompany(company.id, query, page);
  }
}

@ApiTags('events')
@Authenticated()
@Controller('account/events')
export class AccountEventsController {
  constructor(private readonly events: EventsService) {}

  /** The signed-in account's own events (logins, failed logins, tokens, account changes, companies deleted), newest first. */
  @Get()
  @Paginated(EventDto)
  listAccountEvents(@CurrentPrincipal() principal: Principal, @Query() query: ListAccountEventsQueryDto, @PageQuery() page: PageRequest): Promise<Page<EventDto>> {
    return this.events.listForAccount(principal.accountId, query, page);
  }
}
