import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { COMPANY_ROLES } from '../../companies/entities/membership.entity.js';
import { DomainError } from '../errors/domain-error.js';
import { accessPolicy } from './token-auth.guard.js';

/** Third guard: the member's role must reach the role the route asks for. */
@Injectable()
export class CompanyRoleGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const policy = accessPolicy(this.reflector, context);
    if (policy.kind !== 'company') return true;
    const { company } = context.switchToHttp().getRequest<FastifyRequest>();
    // A catalog read for company 0 resolved no company and needs no role.
    if (!company && policy.catalog) return true;
    if (!company) throw new DomainError('forbidden', `this action needs the ${policy.role} role in the company`);
    if (COMPANY_ROLES.indexOf(company.role) < COMPANY_ROLES.indexOf(policy.role)) {
      throw new DomainError('forbidden', `this action needs the ${policy.role} role in the company; you are ${company.role === 'admin' ? 'an' : 'a'} ${company.role}`);
    }
    return true;
  }
}
