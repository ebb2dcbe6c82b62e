import { Controller, Get } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { CatalogRoute } from '../common/access/access.decorator.js';
import { RuntimeDto } from './runtime.dto.js';
import { RuntimesService } from './runtimes.service.js';

@ApiTags('catalogs')
@CatalogRoute()
@Controller(':company_id/runtimes')
export class RuntimesController {
  constructor(private readonly runtimes: RuntimesService) {}

  /** Runtime images an app can run on; exactly one is the default. */
  @Get()
  listRuntimes(): Promise<RuntimeDto[]> {
    return this.runtimes.list();
  }
}
