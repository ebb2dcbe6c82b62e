import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiOkResponse, ApiProperty, ApiTags } from '@nestjs/swagger';
import { IsString } from 'class-validator';
import { Authenticated } from '../common/access/access.decorator.js';
import { Actor } from '../common/access/actor.decorator.js';
import { CurrentPrincipal } from '../common/access/current.decorator.js';
import type { AuditActor, Principal } from '../common/access/principal.js';
import { StreamTickets } from './stream-tickets.js';

export class CreateStreamTicketDto {
  /** The stream it opens: `/api/v1/{company_id}/events/stream` or `/api/v1/{company_id}/operations/{id}`. */
  @IsString()
  path: string;
}

export class StreamTicketDto {
  /** Pass as `?ticket=` to that stream (an EventSource's URL); never the token itself. */
  ticket: string;
  path: string;
  @ApiProperty({ type: 'string', format: 'date-time' })
  expires_at: string;
}

@ApiTags('events')
@Authenticated()
@Controller('stream-tickets')
export class StreamTicketsController {
  constructor(private readonly tickets: StreamTickets) {}

  /** A short-lived ticket that opens one live stream read-only, for a browser's EventSource (which cannot send Authorization). */
  @Post()
  @HttpCode(200)
  @ApiOkResponse({ type: StreamTicketDto })
  createStreamTicket(@CurrentPrincipal() principal: Principal, @Body() body: CreateStreamTicketDto, @Actor() actor: AuditActor): Promise<StreamTicketDto> {
    return this.tickets.issue(principal, body.path, actor);
  }
}
