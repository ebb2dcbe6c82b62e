import { Controller, Get, Param } from '@nestjs/common';
import { ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { CompanyRoute } from '../common/access/access.decorator.js';
import { parseId } from '../common/access/company-member.guard.js';
import { CurrentCompany } from '../common/access/current.decorator.js';
import type { CompanyContext } from '../common/access/principal.js';
import { ErrorResponseDto } from '../common/errors/error-response.dto.js';
import { AppStatusService } from './app-status.service.js';
import { appIdParam } from './apps.controller.js';
import { AppStatusDto } from './dto/app-status.dto.js';

@ApiTags('apps')
@CompanyRoute()
@ApiServiceUnavailableResponse({ type: ErrorResponseDto, description: 'The container engine is unavailable.' })
@Controller(':company_id/apps-status')
export class AppStatusController {
  constructor(private readonly status: AppStatusService) {}

  /** What runs now: container, HTTP probe of the app port, DNS of its domains, memory and /srv usage, with sentences to act on. */
  @Get(':id')
  @appIdParam
  getAppStatus(@CurrentCompany() company: CompanyContext, @Param('id') id: string): Promise<AppStatusDto> {
    return this.status.status(company.id, parseId(id, 'id', 'app'));
  }
}
