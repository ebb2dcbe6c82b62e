import { Body, Controller, Get, HttpCode, Param, Post, Req } from '@nestjs/common';
import { ApiBody, ApiConflictResponse, ApiConsumes, ApiOkResponse, ApiParam, ApiPayloadTooLargeResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { appIdParam } from '../apps/apps.controller.js';
import { CompanyRoute, RequiresRole } from '../common/access/access.decorator.js';
import { Actor } from '../common/access/actor.decorator.js';
import { parseId } from '../common/access/company-member.guard.js';
import { DeployLike } from '../common/access/token-auth.guard.js';
import { CurrentCompany } from '../common/access/current.decorator.js';
import type { AuditActor, CompanyContext } from '../common/access/principal.js';
import { DomainError } from '../common/errors/domain-error.js';
import { ErrorResponseDto } from '../common/errors/error-response.dto.js';
import { ReleaseCreatedDto, ReleaseDetailDto, ReleaseDto, RollbackDto, SnapshotReleaseDto } from './dto/release.dto.js';
import { ReleasesService } from './releases.service.js';

/** Media types an archive may be sent as; the API registers a streaming parser for them (nothing is buffered). */
export const ARCHIVE_MEDIA_TYPES = ['application/gzip', 'application/x-gzip', 'application/x-tar+gzip'];

const versionParam = ApiParam({ name: 'version', schema: { type: 'integer', minimum: 1 } });

@ApiTags('releases')
@CompanyRoute()
@ApiServiceUnavailableResponse({ type: ErrorResponseDto, description: 'The job queue or the container engine is unavailable; nothing was changed.' })
@Controller(':company_id/apps/:id')
export class ReleasesController {
  constructor(private readonly releases: ReleasesService) {}

  /** The app's releases, newest first (bounded by RELEASES_KEPT). */
  @Get('releases')
  @appIdParam
  @ApiOkResponse({ type: [ReleaseDto] })
  listReleases(@CurrentCompany() company: CompanyContext, @Param('id') id: string): Promise<ReleaseDto[]> {
    return this.releases.list(company.id, parseId(id, 'id', 'app'));
  }

  /** One release, with its deploy log (the steps taken and the release command's output). */
  @Get('releases/:version')
  @appIdParam
  @versionParam
  @ApiOkResponse({ type: ReleaseDetailDto })
  getRelease(@CurrentCompany() company: CompanyContext, @Param('id') id: string, @Param('version') version: string): Promise<ReleaseDetailDto> {
    return this.releases.get(company.id, parseId(id, 'id', 'app'), parseId(version, 'version', 'release'));
  }

  /**
   * Deploys a `tar.gz` of the app's tree (the body, `Content-Type: application/gzip`) into /srv/app,
   * or, with the JSON `{"from": "srv"}`, records what /srv/app holds now as a release. The archive
   * is checked before anything changes; the release is active once the app answers HTTP, and
   * rolled back automatically otherwise. Follow `operation_id`.
   */
  @Post('releases')
  @HttpCode(200)
  @RequiresRole('developer')
  @DeployLike()
  @appIdParam
  @ApiConsumes(...ARCHIVE_MEDIA_TYPES.slice(0, 1), 'application/json')
  @ApiBody({ type: SnapshotReleaseDto, description: 'A tar.gz of the tree (application/gzip), or {"from": "srv"} (application/json).' })
  @ApiOkResponse({ type: ReleaseCreatedDto })
  @ApiConflictResponse({ type: ErrorResponseDto, description: 'Another release is still deploying, or the app is stopped or being deleted.' })
  @ApiPayloadTooLargeResponse({ type: ErrorResponseDto, description: 'The archive is larger than the app may upload.' })
  createRelease(@CurrentCompany() company: CompanyContext, @Param('id') id: string, @Req() request: FastifyRequest, @Actor() actor: AuditActor): Promise<ReleaseCreatedDto> {
    const appId = parseId(id, 'id', 'app');
    const type = (request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (ARCHIVE_MEDIA_TYPES.includes(type)) {
      const length = Number(request.headers['content-length']);
      return this.releases.deployArchive(company.id, appId, request.body as NodeJS.ReadableStream, Number.isSafeInteger(length) ? length : null, actor);
    }
    const body = request.body as Partial<SnapshotReleaseDto> | undefined;
    if (typeof body !== 'object' || body === null || body.from !== 'srv') {
      throw DomainError.field('from', 'must be "srv" to record what /srv/app holds now; to deploy an archive, send it as the body with Content-Type: application/gzip');
    }
    return this.releases.snapshot(company.id, appId, actor);
  }

  /** Deploys an earlier release's files and config again as a new release (default: the one active before the current one). */
  @Post('rollback')
  @HttpCode(200)
  @RequiresRole('developer')
  @DeployLike()
  @appIdParam
  @ApiOkResponse({ type: ReleaseCreatedDto })
  @ApiConflictResponse({ type: ErrorResponseDto, description: 'A release is still deploying, there is nothing to roll back to, or the app is stopped.' })
  rollback(@CurrentCompany() company: CompanyContext, @Param('id') id: string, @Body() body: RollbackDto, @Actor() actor: AuditActor): Promise<ReleaseCreatedDto> {
    return this.releases.rollback(company.id, parseId(id, 'id', 'app'), body?.version, actor);
  }
}
