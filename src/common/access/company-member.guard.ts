import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import type { CompanyRole } from '../../companies/entities/membership.entity.js';
import { MembershipsService } from '../../companies/memberships.service.js';
import { DomainError } from '../errors/domain-error.js';
import { accessPolicy } from './token-auth.guard.js';

const MAX_ID = 2_147_483_647; // PostgreSQL int

/** Parses a path id: non-numeric is a 400 naming the parameter; numeric but out of range cannot exist, so 404. */
export function parseId(raw: unknown, field: string, what: string): number {
  if (typeof raw !== 'string' || !/^\d+$/.test(raw)) throw DomainError.field(field, 'must be a positive integer');
  const id = Number(raw);
  if (id < 1 || id > MAX_ID) throw DomainError.notFound(what);
  return id;
}

/**
 * Second guard: on company routes, resolves `:company_id` to a company the
 * caller is a member of. A non-member and a missing company look the same (404).
 */
@Injectable()
export class CompanyMemberGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly memberships: MembershipsService,
  ) {}

  // Synchronous for the routes it does not concern: no promise on their hot path.
  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const policy = accessPolicy(this.reflector, context);
    if (policy.kind !== 'company') return true;
    // Catalogs are global: company 0 (none chosen yet) reads them without resolving a company.
    if (policy.catalog && (context.switchToHttp().getRequest<FastifyRequest>().params as Record<string, unknown>).company_id === '0') return true;
    return this.resolve(context);
  }

  // Synchronous when the membership is cached: no promise on an authenticated read.
  private resolve(context: ExecutionContext): boolean | Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const companyId = parseId((request.params as Record<string, unknown>).company_id, 'company_id', 'company');
    // A token scoped to other companies sees this one as it would a company that does not exist.
    if (request.user?.companies && !request.user.companies.includes(companyId)) throw DomainError.notFound('company');
    if (!request.user) throw DomainError.notFound('company');
    const role = this.memberships.roleOf(request.user.accountId, companyId);
    return role instanceof Promise ? role.then((r) => admit(request, companyId, r)) : admit(request, companyId, role);
  }
}

function admit(request: FastifyRequest, companyId: number, role: CompanyRole | null): true {
  if (!role) throw DomainError.notFound('company');
  request.company = { id: companyId, role };
  return true;
}
