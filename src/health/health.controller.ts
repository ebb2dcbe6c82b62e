import { Controller, Get, Res } from '@nestjs/common';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Public } from '../common/access/access.decorator.js';
import { HealthDto, VersionDto } from './health.dto.js';
import { HealthService } from './health.service.js';

@ApiTags('health')
@Public()
@Controller()
export class HealthController {
  constructor(private readonly health: HealthService) {}

  /** Whether Berth and the services behind it answer. */
  @Get('health')
  @ApiOkResponse({ type: HealthDto })
  @ApiServiceUnavailableResponse({ type: HealthDto, description: 'A backing service is down; `checks` says which.' })
  async getHealth(@Res({ passthrough: true }) reply: FastifyReply): Promise<HealthDto> {
    const health = await this.health.health();
    if (health.status !== 'ok') reply.status(503);
    return health;
  }

  /** Name and version of this Berth, with no backing service involved. */
  @Get('version')
  getVersion(): VersionDto {
    return { name: 'berth', version: this.health.version };
  }
}
