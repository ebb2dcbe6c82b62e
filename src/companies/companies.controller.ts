import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Authenticated } from '../common/access/access.decorator.js';
import { CurrentPrincipal } from '../common/access/current.decorator.js';
import type { Principal } from '../common/access/principal.js';
import { CompaniesService } from './companies.service.js';
import { CompanyDto, CreateCompanyDto } from './dto/company.dto.js';

@ApiTags('companies')
@Authenticated()
@Controller('companies')
export class CompaniesController {
  constructor(private readonly companies: CompaniesService) {}

  /** Every company the token's account belongs to. */
  @Get()
  listCompanies(@CurrentPrincipal() principal: Principal): Promise<CompanyDto[]> {
    return this.companies.listFor(principal.accountId);
  }

  /** Creates a company; the caller becomes its owner. */
  @Post()
  @HttpCode(200)
  createCompany(@CurrentPrincipal() principal: Principal, @Body() body: CreateCompanyDto): Promise<CompanyDto> {
    return this.companies.create(principal.accountId, body.name);
  }
}
