import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { AuditActor } from './principal.js';

/** Marks a handler that takes an `@Actor()`: the route audit requires it on every change route. */
export const ACTOR_PARAM = 'berth:actor';

// X-Forwarded-For is the client's to write when TRUST_PROXY is on: keep what it says, but not
// without bound (an IPv6 address with a zone is well under this).
const IP_MAX = 100;

/**
 * Who is making this change, for its audit event: the authenticated account and token, if
 * any, and the client's address (`request.ip`, which honours TRUST_PROXY). Every handler that
 * changes something takes one and hands it to its service, which records the event; the route
 * audit fails for a change route without it, so a new route cannot forget to be audited.
 */
export const Actor = createParamDecorator(
  (_: unknown, context: ExecutionContext): AuditActor => {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    return { accountId: request.user?.accountId ?? null, tokenId: request.user?.tokenId ?? null, ip: request.ip ? request.ip.slice(0, IP_MAX) : null };
  },
  [
    (target: object, key: string | symbol | undefined) => {
      if (key !== undefined) Reflect.defineMetadata(ACTOR_PARAM, true, target, key);
    },
  ],
);
