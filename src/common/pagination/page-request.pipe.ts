import { Inject, Injectable, PipeTransform } from '@nestjs/common';
import type { BerthConfig } from '../../config/config.js';
import { CONFIG } from '../../config/config.module.js';
import { PageRequest, parsePageRequest } from './page-request.js';

/** Turns a list request's query into its PageRequest, with the configured default and maximum. */
@Injectable()
export class PageRequestPipe implements PipeTransform<unknown, PageRequest> {
  constructor(@Inject(CONFIG) private readonly config: BerthConfig) {}

  transform(query: unknown): PageRequest {
    return parsePageRequest(query, this.config.pagination);
  }
}
