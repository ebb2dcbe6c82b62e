import { Controller, Get, Param, Query, Req, Res } from '@nestjs/common';
import { ApiOkResponse, ApiParam, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { LiveStreams, wantsEvents } from '../live/live-streams.js';
import { CompanyRoute } from '../common/access/access.decorator.js';
import { parseId } from '../common/access/company-member.guard.js';
import { CurrentCompany } from '../common/access/current.decorator.js';
import type { CompanyContext } from '../common/access/principal.js';
import { PageQuery, Paginated } from '../common/pagination/paginated.decorator.js';
import type { Page, PageRequest } from '../common/pagination/page-request.js';
import { ListOperationsQueryDto, OperationDto } from './dto/operation.dto.js';
import { OperationsService } from './operations.service.js';

@ApiTags('operations')
@CompanyRoute()
@Controller(':company_id/operations')
export class OperationsController {
  constructor(
    private readonly operations: OperationsService,
    private readonly live: LiveStreams,
  ) {}

  /** The company's operations, newest first, optionally for one app or storage. */
  @Get()
  @Paginated(OperationDto)
  listOperations(@CurrentCompany() company: CompanyContext, @Query() query: ListOperationsQueryDto, @PageQuery() page: PageRequest): Promise<Page<OperationDto>> {
    return this.operations.list(company.id, query, page);
  }

  /**
   * One operation: follow it until its status is success or error. With `Accept: text/event-stream`,
   * its changes as server-sent events (`event: operation`, then `event: output` for lines it prints,
   * such as a release command's), ending with its final state. A client that reads more slowly than
   * the lines come is sent `event: gap` (`{skipped, message}`) in place of the lines it missed, once it
   * has caught up; the release's log keeps them.
   */
  @Get(':id')
  @ApiParam({ name: 'id', schema: { type: 'integer', minimum: 1 } })
  @ApiProduces('application/json', 'text/event-stream')
  @ApiOkResponse({ type: OperationDto })
  async getOperation(@CurrentCompany() company: CompanyContext, @Param('id') id: string, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const operationId = parseId(id, 'id', 'operation');
    const current = () => this.operations.get(company.id, operationId);
    if (wantsEvents(request)) return this.live.operation(company.id, operationId, current, request, reply);
    await reply.send(await current());
  }
}
