import { CallHandler, ExecutionContext, Inject, Injectable, NestInterceptor } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { map, Observable } from 'rxjs';
import type { BerthConfig } from '../../config/config.js';
import { CONFIG } from '../../config/config.module.js';
import { nextPageLink } from './link.js';
import { Page, parsePageRequest } from './page-request.js';

/**
 * Runs a list route (see `@Paginated()`): reads `?limit=`/`?after=` before the handler, which
 * gets them through `@PageQuery()`; after it, answers the page's items as the plain array Rosti's
 * clients decode, with the next page in a `Link` header when there is one.
 */
@Injectable()
export class PaginationInterceptor implements NestInterceptor {
  constructor(@Inject(CONFIG) private readonly config: BerthConfig) {}

  intercept(context: ExecutionContext, next: CallHandler<Page<unknown>>): Observable<unknown[]> {
    const http = context.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    request.page = parsePageRequest(request.query, this.config.pagination);
    return next.handle().pipe(
      map((page) => {
        if (!page || !Array.isArray(page.items)) throw new Error(`${context.getClass().name}.${context.getHandler().name} is @Paginated() but did not return a Page`);
        if (page.next) void http.getResponse<FastifyReply>().header('link', nextPageLink(request.url, page.next));
        return page.items;
      }),
    );
  }
}
