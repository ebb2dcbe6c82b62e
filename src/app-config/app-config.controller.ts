import { Body, Controller, Delete, Get, Param, Patch, Put, Query } from '@nestjs/common';
import { ApiOkResponse, ApiParam, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { appIdParam } from '../apps/apps.controller.js';
import { CompanyRoute, RequiresRole } from '../common/access/access.decorator.js';
import { Actor } from '../common/access/actor.decorator.js';
import { parseId } from '../common/access/company-member.guard.js';
import { CurrentCompany } from '../common/access/current.decorator.js';
import type { AuditActor, CompanyContext } from '../common/access/principal.js';
import { ErrorResponseDto } from '../common/errors/error-response.dto.js';
import { PageQuery, Paginated } from '../common/pagination/paginated.decorator.js';
import type { Page, PageRequest } from '../common/pagination/page-request.js';
import { AppConfigService } from './app-config.service.js';
import { AppConfigDto, ConfigChangeDto, ConfigVersionDto, SetConfigVarsDto, SetSecretDto } from './dto/app-config.dto.js';

export class ApplyQueryDto {
  /** `false` stores the change without applying it: the app's next restart applies it (Tsuru's `norestart`). Default `true`. */
  @IsOptional()
  @IsIn(['true', 'false'], { message: 'must be true or false' })
  restart?: string;
}

const nameParam = ApiParam({ name: 'name', schema: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' } });

@ApiTags('config')
@CompanyRoute()
@ApiServiceUnavailableResponse({ type: ErrorResponseDto, description: 'The job queue or the container engine is unavailable, or secrets are not enabled; nothing was changed.' })
@Controller(':company_id/apps/:id/config')
export class AppConfigController {
  constructor(private readonly config: AppConfigService) {}

  /** The app's environment: variables, and secrets by name with their values redacted. */
  @Get()
  @appIdParam
  readConfig(@CurrentCompany() company: CompanyContext, @Param('id') id: string): Promise<AppConfigDto> {
    return this.config.read(company.id, parseId(id, 'id', 'app'));
  }

  /** Sets variables (`null` removes one) as a new version, and applies it unless `restart=false`. */
  @Patch()
  @RequiresRole('developer')
  @appIdParam
  @ApiOkResponse({ type: ConfigChangeDto })
  setConfigVars(@CurrentCompany() company: CompanyContext, @Param('id') id: string, @Body() body: SetConfigVarsDto, @Query() query: ApplyQueryDto, @Actor() actor: AuditActor): Promise<ConfigChangeDto> {
    return this.config.setVars(company.id, parseId(id, 'id', 'app'), body.vars, query.restart !== 'false', actor);
  }

  /** Sets a secret: stored encrypted, read back only as `[REDACTED]`. */
  @Put('secrets/:name')
  @RequiresRole('developer')
  @appIdParam
  @nameParam
  @ApiOkResponse({ type: ConfigChangeDto })
  setConfigSecret(@CurrentCompany() company: CompanyContext, @Param('id') id: string, @Param('name') name: string, @Body() body: SetSecretDto, @Query() query: ApplyQueryDto, @Actor() actor: AuditActor): Promise<ConfigChangeDto> {
    return this.config.setSecret(company.id, parseId(id, 'id', 'app'), name, body.value, query.restart !== 'false', actor);
  }

  /** The history of the app's config, newest first: what each version changed, never a value. */
  @Get('versions')
  @appIdParam
  @Paginated(ConfigVersionDto)
  listConfigVersions(@CurrentCompany() company: CompanyContext, @Param('id') id: string, @PageQuery() page: PageRequest): Promise<Page<ConfigVersionDto>> {
    return this.config.versions(company.id, parseId(id, 'id', 'app'), page);
  }

  /** One version of the app's config: what it changed, who made it and when. */
  @Get('versions/:version')
  @appIdParam
  @ApiParam({ name: 'version', schema: { type: 'integer', minimum: 1 } })
  readConfigVersion(@CurrentCompany() company: CompanyContext, @Param('id') id: string, @Param('version') version: string): Promise<ConfigVersionDto> {
    return this.config.version(company.id, parseId(id, 'id', 'app'), parseId(version, 'version', 'config version'));
  }

  /** Removes a variable or a secret, as a new version. */
  @Delete(':name')
  @RequiresRole('developer')
  @appIdParam
  @nameParam
  @ApiOkResponse({ type: ConfigChangeDto })
  removeConfigVar(@CurrentCompany() company: CompanyContext, @Param('id') id: string, @Param('name') name: string, @Query() query: ApplyQueryDto, @Actor() actor: AuditActor): Promise<ConfigChangeDto> {
    return this.config.remove(company.id, parseId(id, 'id', 'app'), name, query.restart !== 'false', actor);
  }
}
