import { CanActivate, ExecutionContext, Inject, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { TokenStrategy } from '../../auth/token.strategy.js';
import { BerthConfig } from '../../config/config.js';
import { CONFIG } from '../../config/config.module.js';
import { DomainError } from '../errors/domain-error.js';
import { RateDecision, TokenRateLimit } from '../rate-limit/token-rate-limit.js';
import type { Principal } from './principal.js';
import { ACCESS_POLICY, AccessPolicy } from './access.decorator.js';

const DEPLOY_LIKE = 'berth:deploy-like';
/** A change that starts heavy work (a deploy, a rollback, an app made or acted on): also counted against RATE_LIMIT_DEPLOYS_PER_MINUTE. */
export const DeployLike = () => SetMetadata(DEPLOY_LIKE, true);
const deployLike = new WeakMap<Function, boolean>();

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
    private readonly limits: TokenRateLimit,
    @Inject(CONFIG) private readonly config: BerthConfig,
  ) {}

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    if (accessPolicy(this.reflector, context).kind === 'public') return true;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const principal = this.strategy.principalOf(request);
    if (principal instanceof Promise) return principal.then((p) => this.limited(context, admit(request, p)));
    return this.limited(context, admit(request, principal));
  }

  /** Counts the request against its token's limits; the headers say where it stands. Synchronous while the process holds units. */
  private limited(context: ExecutionContext, principal: Principal): boolean | Promise<boolean> {
    const { perMinute, deploysPerMinute } = this.config.rateLimit;
    const deploy = deploysPerMinute > 0 && this.isDeployLike(context);
    if (perMinute === 0 && !deploy) return true;
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    const then = (decision: RateDecision): boolean | Promise<boolean> => {
      if (perMinute > 0) answer(reply, decision, 'RATE_LIMIT_PER_MINUTE', 'requests');
      if (!deploy) return true;
      const strict = this.limits.take('deploy', principal.tokenId, deploysPerMinute);
      return strict instanceof Promise ? strict.then((d) => answer(reply, d, 'RATE_LIMIT_DEPLOYS_PER_MINUTE', 'deploy-like changes', false)) : answer(reply, strict, 'RATE_LIMIT_DEPLOYS_PER_MINUTE', 'deploy-like changes', false);
    };
    if (perMinute === 0) return then({ allowed: true, limit: 0, remaining: 0, reset: 0 });
    const decision = this.limits.take('all', principal.tokenId, perMinute);
    return decision instanceof Promise ? decision.then(then) : then(decision);
  }

  private isDeployLike(context: ExecutionContext): boolean {
    const handler = context.getHandler();
    let marked = deployLike.get(handler);
    if (marked === undefined) deployLike.set(handler, (marked = this.reflector.get<boolean>(DEPLOY_LIKE, handler) === true));
    return marked;
  }
}

/** The rate-limit headers (on every answer of a limited token), or 429 with Retry-After once the window is spent. */
function answer(reply: FastifyReply, decision: RateDecision, setting: string, what: string, headers = true): true {
  if (headers) {
    void reply.header('x-ratelimit-limit', String(decision.limit)).header('x-ratelimit-remaining', String(decision.remaining)).header('x-ratelimit-reset', String(decision.reset));
  }
  if (decision.allowed) return true;
  const retryAfter = Math.max(1, Math.ceil(decision.reset - Date.now() / 1000));
  throw new DomainError('rate_limited', `this token made the ${decision.limit} ${what} a minute it may (${setting}); retry after ${retryAfter} s`, {}, { 'Retry-After': String(retryAfter) });
}

function admit(request: FastifyRequest, principal: Principal): Principal {
  // A read-only token reads, on every route: whatever is not a GET is a change.
  if (principal.access === 'read' && request.method !== 'GET' && request.method !== 'HEAD') {
    throw new DomainError('forbidden', 'this token is read-only: changes need a token with write access');
  }
  request.user = principal;
  return principal;
}
