import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { CompanyContext, Principal } from './principal.js';

/**
 * The company resolved by CompanyMemberGuard. Throws when no guard resolved it,
 * so a handler cannot act on a company its route never checked.
 */
export const CurrentCompany = createParamDecorator((_: unknown, context: ExecutionContext): CompanyContext => {
  const { company } = context.switchToHttp().getRequest<FastifyRequest>();
  if (!company) throw new Error('CurrentCompany used on a route without @CompanyRoute()');
  return company;
});

/** The authenticated account; throws on a route that did not authenticate. */
export const CurrentPrincipal = createParamDecorator((_: unknown, context: ExecutionContext): Principal => {
  const { user } = context.switchToHttp().getRequest<FastifyRequest>();
  if (!user) throw new Error('CurrentPrincipal used on a route without authentication');
  return user;
});
