import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiParam, ApiTags } from '@nestjs/swagger';
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
  constructor(private readonly operations: OperationsService) {}

  /** The company's operations, newest first, optionally for one app or storage. */
  @Get()
  @Paginated(OperationDto)
  listOperations(@CurrentCompany() company: CompanyContext, @Query() query: ListOperationsQueryDto, @PageQuery() page: PageRequest): Promise<Page<OperationDto>> {
    return this.operations.list(company.id, query, page);
  }

  /** One operation: follow it until its status is success or error. */
  @Get(':id')
  @ApiParam({ name: 'id', schema: { type: 'integer', minimum: 1 } })
  getOperation(@CurrentCompany() company: CompanyContext, @Param('id') id: string): Promise<OperationDto> {
    return this.operations.get(company.id, parseId(id, 'id', 'operation'));
  }
}
