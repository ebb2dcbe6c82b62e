import { Body, Controller, Param, Put } from '@nestjs/common';
import { ApiConflictResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { CompanyRoute, RequiresRole } from '../common/access/access.decorator.js';
import { parseId } from '../common/access/company-member.guard.js';
import { DeployLike } from '../common/access/token-auth.guard.js';
import { Actor } from '../common/access/actor.decorator.js';
import { CurrentCompany } from '../common/access/current.decorator.js';
import type { AuditActor, CompanyContext } from '../common/access/principal.js';
import { ErrorResponseDto } from '../common/errors/error-response.dto.js';
import { appIdParam } from './apps.controller.js';
import { AppsService } from './apps.service.js';
import { AppActionDto } from './dto/app-input.dto.js';
import { AppDto } from './dto/app.dto.js';

@ApiTags('apps')
@CompanyRoute()
@ApiServiceUnavailableResponse({ type: ErrorResponseDto, description: 'The job queue or the container engine is unavailable; nothing was changed.' })
@Controller(':company_id/apps-action')
export class AppActionsController {
  constructor(private readonly apps: AppsService) {}

  /**
   * start creates the app's containers, stop removes them (data kept), restart
   * restarts them in place, rebuild destroys and recreates them (data kept).
   */
  @Put(':id')
  @RequiresRole('developer')
  @DeployLike()
  @appIdParam
  @ApiConflictResponse({ type: ErrorResponseDto, description: 'Another operation is still running on the app.' })
  appAction(@CurrentCompany() company: CompanyContext, @Param('id') id: string, @Body() body: AppActionDto, @Actor() actor: AuditActor): Promise<AppDto> {
    return this.apps.action(company.id, parseId(id, 'id', 'app'), body.action, actor);
  }
}
