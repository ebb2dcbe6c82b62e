import { ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { DomainError } from '../errors/domain-error.js';
import type { Principal } from './principal.js';
import { ACCESS_POLICY, AccessPolicy } from './access.decorator.js';

/** Routes whose handler or controller declares no access policy: a programming error. */
export class MissingAccessPolicyError extends Error {}

// Decorator metadata never changes after start-up: read it once per handler, not per guard per request.
const policies = new WeakMap<Function, AccessPolicy>();

export function accessPolicy(reflector: Reflector, context: ExecutionContext): AccessPolicy {
  const handler = context.getHandler();
  let policy = policies.get(handler);
  if (!policy) {
    policy = reflector.getAllAndOverride<AccessPolicy | undefined>(ACCESS_POLICY, [handler, context.getClass()]);
    // Fail closed: forgetting to declare who may call a route must not make it public.
    if (!policy) throw new MissingAccessPolicyError(`${context.getClass().name}.${handler.name} declares no access policy`);
    policies.set(handler, policy);
  }
  return policy;
}

/** First guard: authenticates every route that is not deliberately public. */
@Injectable()
export class TokenAuthGuard extends AuthGuard('token') {
  constructor(private readonly reflector: Reflector) {
    super();
  }

  override canActivate(context: ExecutionContext) {
    if (accessPolicy(this.reflector, context).kind === 'public') return true;
    return super.canActivate(context);
  }

  override handleRequest<T>(err: unknown, user: T, _info: unknown, context: ExecutionContext): T {
    if (err) throw err;
    if (!user) throw DomainError.unauthorized();
    // A read-only token reads, on every route: whatever is not a GET is a change.
    const method = context.switchToHttp().getRequest<FastifyRequest>().method;
    if ((user as unknown as Principal).access === 'read' && method !== 'GET' && method !== 'HEAD') {
      throw new DomainError('forbidden', 'this token is read-only: changes need a token with write access');
    }
    return user;
  }
}
