import { Controller, Get } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { CatalogRoute } from '../common/access/access.decorator.js';
import { PlanDto } from './plan.dto.js';
import { PlansService } from './plans.service.js';

@ApiTags('catalogs')
@CatalogRoute()
@Controller(':company_id/plans')
export class PlansController {
  constructor(private readonly plans: PlansService) {}

  /** Plans an app can be given: resource limits and price. */
  @Get()
  listPlans(): Promise<PlanDto[]> {
    return this.plans.list();
  }
}
