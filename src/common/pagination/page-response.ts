import type { FastifyInstance } from 'fastify';
import { nextPageLink } from './link.js';
import type { Page } from './page-request.js';

/** Fastify route config that `@Paginated()` sets on a list route. */
export const PAGINATED = 'berthPaginated';

declare module 'fastify' {
  interface FastifyContextConfig {
    berthPaginated?: boolean;
  }
}

function isPage(payload: unknown): payload is Page<unknown> {
  return typeof payload === 'object' && payload !== null && Array.isArray((payload as Page<unknown>).items);
}

/**
 * Answers a `@Paginated()` route's Page as the plain array Rosti's clients decode, with the
 * next page in a `Link` header. A Fastify hook rather than a Nest interceptor: an interceptor
 * wraps every request of the route in RxJS observables, which cost a list read more than its
 * query. Errors (whose bodies are no Page) pass unchanged.
 */
export function registerPageResponses(fastify: FastifyInstance): void {
  fastify.addHook('preSerialization', (request, reply, payload, done) => {
    if (!request.routeOptions.config[PAGINATED] || !isPage(payload)) return done(null, payload);
    if (payload.next) void reply.header('link', nextPageLink(request.url, payload.next));
    done(null, payload.items);
  });
}
