import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { TokenStrategy } from '../../auth/token.strategy.js';
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

/**
 * First guard: authenticates every route that is not deliberately public, with the
 * passport `token` strategy. Synchronous when the token is cached, so an
 * authenticated read costs no promise here.
 */
@Injectable()
export class TokenAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly strategy: TokenStrategy,
  ) {}

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    if (accessPolicy(this.reflector, context).kind === 'public') return true;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const principal = this.strategy.principalOf(request);
    if (principal instanceof Promise) return principal.then((p) => admit(request, p));
    return admit(request, principal);
  }
}

function admit(request: FastifyRequest, principal: Principal): true {
  // A read-only token reads, on every route: whatever is not a GET is a change.
  if (principal.access === 'read' && request.method !== 'GET' && request.method !== 'HEAD') {
    throw new DomainError('forbidden', 'this token is read-only: changes need a token with write access');
  }
  request.user = principal;
  return true;
}
