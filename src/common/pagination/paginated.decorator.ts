import { applyDecorators, createParamDecorator, ExecutionContext, Type } from '@nestjs/common';
import { RouteConfig } from '@nestjs/platform-fastify';
import { ApiBadRequestResponse, ApiOkResponse, ApiQuery } from '@nestjs/swagger';
import { ErrorResponseDto } from '../errors/error-response.dto.js';
import type { FastifyRequest } from 'fastify';
import { PageRequestPipe } from './page-request.pipe.js';
import { PAGINATED } from './page-response.js';

/**
 * On a list route: the handler gets `?limit=` and `?after=` checked through `@PageQuery()`, and
 * its `Page` answers as a plain array of `item` with a `Link` header to the next page
 * (`registerPageResponses()`), and OpenAPI says so. A
 * list's query DTO with filters of its own extends `PageQueryDto`. For instance:
 *
 *   const ORDER = Keyset.byId<Event>('event.id', 'DESC');          // the service's order
 *   @Get() @Paginated(EventDto)
 *   listEvents(@CurrentCompany() c, @PageQuery() page: PageRequest): Promise<Page<EventDto>>
 *   // service: ORDER.page(await ORDER.apply(query, page).getMany(), page), mapped to DTOs
 */
export const Paginated = (item: Type<unknown>) =>
  applyDecorators(
    RouteConfig({ [PAGINATED]: true }),
    ApiQuery({
      name: 'limit',
      required: false,
      schema: { type: 'integer', minimum: 1 },
      description: 'Most items to answer: 1 to PAGE_LIMIT_MAX (500 unless configured); without it, PAGE_LIMIT_DEFAULT (100 unless configured).',
    }),
    ApiQuery({
      name: 'after',
      required: false,
      schema: { type: 'string' },
      description: 'Opaque cursor: the page after the one whose `Link` header gave it. Empty or absent: the first page.',
    }),
    ApiBadRequestResponse({ type: ErrorResponseDto, description: '`limit` or `after` is not valid (validation_error naming it).' }),
    ApiOkResponse({
      type: [item],
      description: 'A page of the list, as a plain array. A client that wants every item follows `Link` until it is absent.',
      headers: {
        Link: {
          description: 'The next page, as `</api/v1/...?...&after=...>; rel="next"` (the request\'s own query kept); absent on the last page.',
          schema: { type: 'string' },
        },
      },
    }),
  );

const pageQuery = createParamDecorator((_: unknown, context: ExecutionContext): unknown => {
  const request = context.switchToHttp().getRequest<FastifyRequest>();
  // Without @Paginated() the answer would be a Page object, not the list: fail loudly instead.
  if (!request.routeOptions.config[PAGINATED]) throw new Error('PageQuery used on a route without @Paginated()');
  return request.query;
});

/** The page a `@Paginated()` route was asked for (`?limit=`, `?after=`), checked: a 400 names each bad one. */
export const PageQuery = () => pageQuery(undefined, PageRequestPipe);
