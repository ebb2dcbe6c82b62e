import { Body, Controller, Delete, Get, HttpCode, Patch, Post } from '@nestjs/common';
import { ApiConflictResponse, ApiTags } from '@nestjs/swagger';
import { Authenticated, CompanyRoute } from '../common/access/access.decorator.js';
import { Actor } from '../common/access/actor.decorator.js';
import { CurrentCompany, CurrentPrincipal } from '../common/access/current.decorator.js';
import type { AuditActor, CompanyContext, Principal } from '../common/access/principal.js';
import { ErrorResponseDto } from '../common/errors/error-response.dto.js';
import { PageQuery, Paginated } from '../common/pagination/paginated.decorator.js';
import type { Page, PageRequest } from '../common/pagination/page-request.js';
import { CompaniesService } from './companies.service.js';
import { CompanyDto, CreateCompanyDto } from './dto/company.dto.js';
import { AcceptInvitationDto } from './dto/member.dto.js';
import { InvitationsService } from './invitations.service.js';

@ApiTags('companies')
@Authenticated()
@Controller('companies')
export class CompaniesController {
  constructor(private readonly companies: CompaniesService) {}

  /** Every company the token reaches (all of its account's, unless the token is scoped to some). */
  @Get()
  @Paginated(CompanyDto)
  listCompanies(@CurrentPrincipal() principal: Principal, @PageQuery() page: PageRequest): Promise<Page<CompanyDto>> {
    return this.companies.listFor(principal.accountId, principal.companies, page);
  }

  /** Creates a company; the caller becomes its owner. Needs a token for the whole account. */
  @Post()
  @HttpCode(200)
  createCompany(@CurrentPrincipal() principal: Principal, @Body() body: CreateCompanyDto, @Actor() actor: AuditActor): Promise<CompanyDto> {
    if (principal.companies) throw CompaniesService.wholeAccount('creating a company');
    return this.companies.create(principal.accountId, body.name, actor);
  }
}

@ApiTags('companies')
@CompanyRoute('owner')
@Controller('companies/:company_id')
export class CompanyController {
  constructor(private readonly companies: CompaniesService) {}

  /** Renames the company. */
  @Patch()
  renameCompany(@CurrentCompany() company: CompanyContext, @Body() body: CreateCompanyDto, @Actor() actor: AuditActor): Promise<CompanyDto> {
    return this.companies.rename(company, body.name, actor);
  }

  /** Deletes the company, its members and invitations; refused while it has apps or storages. */
  @Delete()
  @ApiConflictResponse({ type: ErrorResponseDto, description: 'Apps or storages remain: the message names them.' })
  deleteCompany(@CurrentCompany() company: CompanyContext, @Actor() actor: AuditActor): Promise<CompanyDto> {
    return this.companies.remove(company, actor);
  }
}

@ApiTags('members')
@Authenticated()
@Controller('invitations')
export class InvitationAcceptController {
  constructor(private readonly invitations: InvitationsService) {}

  /** Accepts an invitation sent to the signed-in account's email: the account joins the company with its role. */
  @Post('accept')
  @HttpCode(200)
  acceptInvitation(@CurrentPrincipal() principal: Principal, @Body() body: AcceptInvitationDto, @Actor() actor: AuditActor): Promise<CompanyDto> {
    return this.invitations.accept(principal, body.token, actor);
  }
}
