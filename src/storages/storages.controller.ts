import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { IsIn, IsOptional } from 'class-validator';
import { ApiConflictResponse, ApiForbiddenResponse, ApiParam, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { CompanyRoute, RequiresRole } from '../common/access/access.decorator.js';
import { parseId } from '../common/access/company-member.guard.js';
import { Actor } from '../common/access/actor.decorator.js';
import { CurrentCompany } from '../common/access/current.decorator.js';
import type { AuditActor, CompanyContext } from '../common/access/principal.js';
import { ErrorResponseDto } from '../common/errors/error-response.dto.js';
import { PageQuery, Paginated } from '../common/pagination/paginated.decorator.js';
import type { Page, PageRequest } from '../common/pagination/page-request.js';
import { CreateStorageDto, StorageDto, UpdateStorageDto } from './dto/storage.dto.js';
import { StoragesService } from './storages.service.js';

export class ForceQueryDto {
  /** `true` deletes a storage that apps are bound to: they are unbound, and their next restart drops its variables. */
  @IsOptional()
  @IsIn(['true', 'false'], { message: 'must be true or false' })
  force?: string;
}

const idParam = ApiParam({ name: 'id', schema: { type: 'integer', minimum: 1 } });

@ApiTags('storages')
@CompanyRoute()
@ApiServiceUnavailableResponse({ type: ErrorResponseDto, description: 'The job queue is unavailable; nothing was changed.' })
@Controller(':company_id/storages')
export class StoragesController {
  constructor(private readonly storages: StoragesService) {}

  /** The company's MariaDB and PostgreSQL databases with their connection data (never a password). */
  @Get()
  @Paginated(StorageDto)
  listStorages(@CurrentCompany() company: CompanyContext, @PageQuery() page: PageRequest): Promise<Page<StorageDto>> {
    return this.storages.list(company.id, page);
  }

  /** Creates a database and its user; follow `operation_id` until it succeeds. */
  @Post()
  @RequiresRole('admin')
  @HttpCode(200)
  @ApiForbiddenResponse({ type: ErrorResponseDto, description: 'The company has as many storages as it may have (quota_exceeded).' })
  createStorage(@CurrentCompany() company: CompanyContext, @Body() body: CreateStorageDto, @Actor() actor: AuditActor): Promise<StorageDto> {
    return this.storages.create(company.id, body, actor);
  }

  /** One storage with its connection data. */
  @Get(':id')
  @idParam
  getStorage(@CurrentCompany() company: CompanyContext, @Param('id') id: string): Promise<StorageDto> {
    return this.storages.get(company.id, parseId(id, 'id', 'storage'));
  }

  /** Sets a new password (an operation) and/or note (at once). */
  @Put(':id')
  @RequiresRole('admin')
  @idParam
  @ApiConflictResponse({ type: ErrorResponseDto, description: 'Another operation is still running on the storage.' })
  updateStorage(@CurrentCompany() company: CompanyContext, @Param('id') id: string, @Body() body: UpdateStorageDto, @Actor() actor: AuditActor): Promise<StorageDto> {
    return this.storages.update(company.id, parseId(id, 'id', 'storage'), body, actor);
  }

  /** Drops the database and its user; follow `operation_id` until it succeeds. */
  @Delete(':id')
  @RequiresRole('admin')
  @idParam
  @ApiConflictResponse({ type: ErrorResponseDto, description: 'Another operation is still running on the storage, or apps are bound to it (named; `?force=true` unbinds them).' })
  deleteStorage(@CurrentCompany() company: CompanyContext, @Param('id') id: string, @Query() query: ForceQueryDto, @Actor() actor: AuditActor): Promise<StorageDto> {
    return this.storages.remove(company.id, parseId(id, 'id', 'storage'), actor, query.force === 'true');
  }
}
