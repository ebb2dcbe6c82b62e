import { Controller, Get, Param, Query, Req, Res } from '@nestjs/common';
import { ApiOkResponse, ApiProduces, ApiServiceUnavailableResponse, ApiTags, ApiTooManyRequestsResponse } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { appIdParam } from '../apps/apps.controller.js';
import { CompanyRoute } from '../common/access/access.decorator.js';
import { parseId } from '../common/access/company-member.guard.js';
import { CurrentCompany } from '../common/access/current.decorator.js';
import type { CompanyContext } from '../common/access/principal.js';
import { ErrorResponseDto } from '../common/errors/error-response.dto.js';
import { wantsEvents } from '../live/live-streams.js';
import { LogLineDto, LogQueryDto } from './dto/log.dto.js';
import { LogsService } from './logs.service.js';

@ApiTags('apps')
@CompanyRoute()
@ApiServiceUnavailableResponse({ type: ErrorResponseDto, description: 'The log store (Redis) is unavailable.' })
@Controller(':company_id/apps/:id')
export class LogsController {
  constructor(private readonly logs: LogsService) {}

  /**
   * The app's log: every supervisord program's stdout and stderr and the container's own output,
   * oldest first, kept across stops and starts (LOGS_RETENTION_BYTES and LOGS_RETENTION_SECONDS per
   * app, off the plan's disk). With `follow=true` or `Accept: text/event-stream`, server-sent
   * events: `event: log` with a line as data and `id:` its place in the log, so `Last-Event-ID`
   * resumes after it; a client that reads more slowly than the app prints still gets every line
   * (past LIVE_BUFFER_MAX unread it waits, then catches up). Lines trimmed from the log before a
   * client got them (it waited, or resumed after an old id) are announced by an `event: gap`
   * naming the last id it had, `{after, message}`. Counts toward LIVE_STREAMS_PER_COMPANY.
   */
  @Get('logs')
  @appIdParam
  @ApiProduces('application/json', 'text/event-stream')
  @ApiOkResponse({ type: [LogLineDto] })
  @ApiTooManyRequestsResponse({ type: ErrorResponseDto, description: 'Following: the company has as many live streams open as it may.' })
  async getAppLogs(@CurrentCompany() company: CompanyContext, @Param('id') id: string, @Query() query: LogQueryDto, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const appId = parseId(id, 'id', 'app');
    if (query.follow === true || (query.follow === undefined && wantsEvents(request))) return this.logs.follow(company.id, appId, query, request, reply);
    await reply.send(await this.logs.read(company.id, appId, query));
  }
}
