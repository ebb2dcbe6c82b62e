import { Controller, Get, Req, Res } from '@nestjs/common';
import { ApiOkResponse, ApiProduces, ApiTags, ApiTooManyRequestsResponse } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CompanyRoute } from '../common/access/access.decorator.js';
import { CurrentCompany } from '../common/access/current.decorator.js';
import type { CompanyContext } from '../common/access/principal.js';
import { ErrorResponseDto } from '../common/errors/error-response.dto.js';
import { LiveStreams } from './live-streams.js';

@ApiTags('events')
@CompanyRoute()
@Controller(':company_id/events')
export class LiveController {
  constructor(private readonly streams: LiveStreams) {}

  /**
   * The company's operation and app-status changes as server-sent events (`event: operation`,
   * data as `GET /operations/{id}/`; `event: app`, `{id, name, status, status_message}`), with a
   * heartbeat comment every LIVE_HEARTBEAT_MS. Counts toward LIVE_STREAMS_PER_COMPANY.
   */
  @Get('stream')
  @ApiProduces('text/event-stream')
  @ApiOkResponse({ description: 'A stream of server-sent events.', content: { 'text/event-stream': { schema: { type: 'string' } } } })
  @ApiTooManyRequestsResponse({ type: ErrorResponseDto, description: 'The company has as many live streams open as it may.' })
  streamCompanyEvents(@CurrentCompany() company: CompanyContext, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.streams.company(company.id, request, reply);
  }
}
