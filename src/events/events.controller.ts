import { Controller, Get, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Authenticated, CompanyRoute } from '../common/access/access.decorator.js';
import { CurrentCompany, CurrentPrincipal } from '../common/access/current.decorator.js';
import type { CompanyContext, Principal } from '../common/access/principal.js';
import { EventDto, ListAccountEventsQueryDto, ListEventsQueryDto } from './dto/event.dto.js';
import { EventsService } from './events.service.js';

@ApiTags('events')
@CompanyRoute('admin')
@Controller(':company_id/events')
export class CompanyEventsController {
  constructor(private readonly events: EventsService) {}

  /** Who changed what in the company, from where and when: the newest 100 events, newest first, optionally filtered. */
  @Get()
  listCompanyEvents(@CurrentCompany() company: CompanyContext, @Query() query: ListEventsQueryDto): Promise<EventDto[]> {
    return this.events.listForCompany(company.id, query);
  }
}

@ApiTags('events')
@Authenticated()
@Controller('account/events')
export class AccountEventsController {
  constructor(private readonly events: EventsService) {}

  /** The signed-in account's own events (logins, failed logins, tokens, account changes, companies deleted): the newest 100, newest first. */
  @Get()
  listAccountEvents(@CurrentPrincipal() principal: Principal, @Query() query: ListAccountEventsQueryDto): Promise<EventDto[]> {
    return this.events.listForAccount(principal.accountId, query);
  }
}
