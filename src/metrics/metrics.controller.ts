import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { appIdParam } from '../apps/apps.controller.js';
import { CompanyRoute } from '../common/access/access.decorator.js';
import { parseId } from '../common/access/company-member.guard.js';
import { CurrentCompany } from '../common/access/current.decorator.js';
import type { CompanyContext } from '../common/access/principal.js';
import { MetricsDto, MetricsQueryDto } from './dto/metrics.dto.js';
import { MetricsService } from './metrics.service.js';

@ApiTags('apps')
@CompanyRoute()
@Controller(':company_id/apps/:id/metrics')
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  /**
   * The app's CPU, memory, network, /srv and restarts over time, as series aligned on `timestamps`.
   * Readings are kept at full resolution for a day and as 5-minute averages for 30 days (by default).
   */
  @Get()
  @appIdParam
  getAppMetrics(@CurrentCompany() company: CompanyContext, @Param('id') id: string, @Query() query: MetricsQueryDto): Promise<MetricsDto> {
    return this.metrics.series(company.id, parseId(id, 'id', 'app'), query);
  }
}
