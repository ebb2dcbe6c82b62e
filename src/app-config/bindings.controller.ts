import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiOkResponse, ApiParam, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { appIdParam } from '../apps/apps.controller.js';
import { CompanyRoute, RequiresRole } from '../common/access/access.decorator.js';
import { Actor } from '../common/access/actor.decorator.js';
import { parseId } from '../common/access/company-member.guard.js';
import { CurrentCompany } from '../common/access/current.decorator.js';
import type { AuditActor, CompanyContext } from '../common/access/principal.js';
import { ErrorResponseDto } from '../common/errors/error-response.dto.js';
import { BindingsService } from './bindings.service.js';
import { BindingChangeDto, BindingDto, CreateBindingDto } from './dto/binding.dto.js';

@ApiTags('config')
@CompanyRoute()
@ApiServiceUnavailableResponse({ type: ErrorResponseDto, description: 'The job queue or the container engine is unavailable, or secrets are not enabled; nothing was changed.' })
@Controller(':company_id/apps/:id/bindings')
export class BindingsController {
  constructor(private readonly bindings: BindingsService) {}

  /** The storages bound to the app, and the variables each manages. */
  @Get()
  @appIdParam
  @ApiOkResponse({ type: [BindingDto] })
  listBindings(@CurrentCompany() company: CompanyContext, @Param('id') id: string): Promise<BindingDto[]> {
    return this.bindings.list(company.id, parseId(id, 'id', 'app'));
  }

  /** Binds a storage: the app gets `<PREFIX>_URL`, `_HOST`, `_PORT`, `_NAME`, `_USER` and the secret `_PASSWORD`. Managing storages is an admin's. */
  @Post()
  @HttpCode(200)
  @RequiresRole('admin')
  @appIdParam
  @ApiOkResponse({ type: BindingChangeDto })
  bindStorage(@CurrentCompany() company: CompanyContext, @Param('id') id: string, @Body() body: CreateBindingDto, @Actor() actor: AuditActor): Promise<BindingChangeDto> {
    return this.bindings.bind(company.id, parseId(id, 'id', 'app'), body, actor);
  }

  /** Unbinds a storage: its variables leave the app's environment (the storage itself stays). */
  @Delete(':storage_id')
  @RequiresRole('admin')
  @appIdParam
  @ApiParam({ name: 'storage_id', schema: { type: 'integer', minimum: 1 } })
  @ApiOkResponse({ type: BindingChangeDto })
  unbindStorage(@CurrentCompany() company: CompanyContext, @Param('id') id: string, @Param('storage_id') storageId: string, @Actor() actor: AuditActor): Promise<BindingChangeDto> {
    return this.bindings.unbind(company.id, parseId(id, 'id', 'app'), parseId(storageId, 'storage_id', 'binding'), actor);
  }
}
