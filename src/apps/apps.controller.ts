import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Put } from '@nestjs/common';
import { ApiConflictResponse, ApiForbiddenResponse, ApiParam, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { CompanyRoute, RequiresRole } from '../common/access/access.decorator.js';
import { parseId } from '../common/access/company-member.guard.js';
import { DeployLike } from '../common/access/token-auth.guard.js';
import { Actor } from '../common/access/actor.decorator.js';
import { CurrentCompany } from '../common/access/current.decorator.js';
import type { AuditActor, CompanyContext } from '../common/access/principal.js';
import { ErrorResponseDto } from '../common/errors/error-response.dto.js';
import { PageQuery, Paginated } from '../common/pagination/paginated.decorator.js';
import type { Page, PageRequest } from '../common/pagination/page-request.js';
import { AppsService } from './apps.service.js';
import { CreateAppDto, UpdateAppDto } from './dto/app-input.dto.js';
import { AppDto } from './dto/app.dto.js';

export const appIdParam = ApiParam({ name: 'id', schema: { type: 'integer', minimum: 1 } });
const busy = ApiConflictResponse({ type: ErrorResponseDto, description: 'Another operation is still running on the app, or a name or domain is taken.' });

@ApiTags('apps')
@CompanyRoute()
@ApiServiceUnavailableResponse({ type: ErrorResponseDto, description: 'The job queue or the container engine is unavailable; nothing was changed.' })
@Controller(':company_id/apps')
export class AppsController {
  constructor(private readonly apps: AppsService) {}

  /** The company's apps, oldest first. */
  @Get()
  @Paginated(AppDto)
  listApps(@CurrentCompany() company: CompanyContext, @PageQuery() page: PageRequest): Promise<Page<AppDto>> {
    return this.apps.list(company.id, page);
  }

  /** Creates an app; its container is provisioned by the operation `operation_id`. */
  @Post()
  @RequiresRole('developer')
  @DeployLike()
  @HttpCode(200)
  @busy
  @ApiForbiddenResponse({ type: ErrorResponseDto, description: 'The company has as many apps as it may have (quota_exceeded).' })
  createApp(@CurrentCompany() company: CompanyContext, @Body() body: CreateAppDto, @Actor() actor: AuditActor): Promise<AppDto> {
    return this.apps.create(company.id, body, actor);
  }

  /** One app. */
  @Get(':id')
  @appIdParam
  getApp(@CurrentCompany() company: CompanyContext, @Param('id') id: string): Promise<AppDto> {
    return this.apps.get(company.id, parseId(id, 'id', 'app'));
  }

  /** Changes any subset of the app's fields; image, plan, port, domains and mode apply through an operation (restarting the app where needed). */
  @Put(':id')
  @RequiresRole('developer')
  @appIdParam
  @busy
  updateApp(@CurrentCompany() company: CompanyContext, @Param('id') id: string, @Body() body: UpdateAppDto, @Actor() actor: AuditActor): Promise<AppDto> {
    return this.apps.update(company.id, parseId(id, 'id', 'app'), body, actor);
  }

  /** The same as PUT: any subset of the app's fields. */
  @Patch(':id')
  @RequiresRole('developer')
  @appIdParam
  @busy
  patchApp(@CurrentCompany() company: CompanyContext, @Param('id') id: string, @Body() body: UpdateAppDto, @Actor() actor: AuditActor): Promise<AppDto> {
    return this.apps.update(company.id, parseId(id, 'id', 'app'), body, actor);
  }

  /** Deletes the app and everything of it: containers, data, routes and SSH endpoint. */
  @Delete(':id')
  @RequiresRole('developer')
  @appIdParam
  @busy
  deleteApp(@CurrentCompany() company: CompanyContext, @Param('id') id: string, @Actor() actor: AuditActor): Promise<AppDto> {
    return this.apps.remove(company.id, parseId(id, 'id', 'app'), actor);
  }
}
