import { Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiConflictResponse, ApiParam, ApiTags } from '@nestjs/swagger';
import { CompanyRoute, RequiresRole } from '../common/access/access.decorator.js';
import { Actor } from '../common/access/actor.decorator.js';
import { CurrentCompany } from '../common/access/current.decorator.js';
import type { AuditActor, CompanyContext } from '../common/access/principal.js';
import { ErrorResponseDto } from '../common/errors/error-response.dto.js';
import { PageQuery, Paginated } from '../common/pagination/paginated.decorator.js';
import type { Page, PageRequest } from '../common/pagination/page-request.js';
import { DomainsService } from './domains.service.js';
import { DomainDto } from './dto/domain.dto.js';

const domainParam = ApiParam({ name: 'domain', description: 'A host name, like example.com.', schema: { type: 'string' } });

@ApiTags('domains')
@CompanyRoute()
@Controller(':company_id/domains')
export class DomainsController {
  constructor(private readonly domains: DomainsService) {}

  /** The domains the company has asked to verify, by name, with the record each needs and whether it is verified. */
  @Get()
  @Paginated(DomainDto)
  listDomains(@CurrentCompany() company: CompanyContext, @PageQuery() page: PageRequest): Promise<Page<DomainDto>> {
    return this.domains.list(company.id, page);
  }

  /**
   * Proves the company controls a domain: the first call gives the TXT record to create
   * (`_berth-challenge.<domain>`); call again once it is in DNS. A verified domain routes the
   * company's apps by it and its subdomains.
   */
  @Post(':domain/verify')
  @RequiresRole('developer')
  @HttpCode(200)
  @domainParam
  @ApiConflictResponse({ type: ErrorResponseDto, description: 'Another company has verified the domain.' })
  verifyDomain(@CurrentCompany() company: CompanyContext, @Param('domain') domain: string, @Actor() actor: AuditActor): Promise<DomainDto> {
    return this.domains.verify(company.id, domain, actor);
  }

  /** Forgets a verification: the company's apps are no longer routed by that domain. */
  @Delete(':domain')
  @RequiresRole('developer')
  @domainParam
  deleteDomain(@CurrentCompany() company: CompanyContext, @Param('domain') domain: string, @Actor() actor: AuditActor): Promise<DomainDto> {
    return this.domains.remove(company.id, domain, actor);
  }
}
