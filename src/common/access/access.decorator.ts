import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiForbiddenResponse, ApiNotFoundResponse, ApiParam, ApiSecurity, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { CompanyRole } from '../../companies/entities/membership.entity.js';
import { ErrorResponseDto } from '../errors/error-response.dto.js';

export const ACCESS_POLICY = 'berth:access';

/** Who may call a route. Every route declares one; a route without one is refused. */
export type AccessPolicy = { kind: 'public' } | { kind: 'account' } | { kind: 'company'; role: CompanyRole; catalog?: true };

export const TOKEN_SCHEME = 'token';
export const BEARER_SCHEME = 'bearer';

const authenticatedDocs = () =>
  applyDecorators(
    ApiSecurity(TOKEN_SCHEME),
    ApiSecurity(BEARER_SCHEME),
    ApiUnauthorizedResponse({ type: ErrorResponseDto, description: 'Token missing, malformed, unknown, revoked or expired.' }),
  );

/** Anyone may call it, without a token. Use deliberately: the route audit lists every one. */
export const Public = () => SetMetadata(ACCESS_POLICY, { kind: 'public' } satisfies AccessPolicy);

/** Any valid token; the route acts on the token's own account. */
export const Authenticated = () =>
  applyDecorators(SetMetadata(ACCESS_POLICY, { kind: 'account' } satisfies AccessPolicy), authenticatedDocs());

/**
 * A route under `/:company_id/`: a valid token of a member holding at least `role` (a viewer
 * reads; changes name the role they need). A non-member, or a token scoped to other companies,
 * gets 404, exactly as for a company that does not exist.
 */
export const CompanyRoute = (role: CompanyRole = 'viewer') =>
  applyDecorators(
    SetMetadata(ACCESS_POLICY, { kind: 'company', role } satisfies AccessPolicy),
    authenticatedDocs(),
    ApiParam({ name: 'company_id', description: 'Id of a company the caller is a member of.', schema: { type: 'integer', minimum: 1 } }),
    ApiNotFoundResponse({ type: ErrorResponseDto, description: 'No such resource in a company the caller belongs to.' }),
  );

/**
 * On a handler of a `@CompanyRoute()` controller: this change needs at least `role`. Anyone
 * weaker gets 403 naming it; a read-only token gets 403 on any change whatever the role.
 */
export const RequiresRole = (role: CompanyRole) =>
  applyDecorators(
    SetMetadata(ACCESS_POLICY, { kind: 'company', role } satisfies AccessPolicy),
    ApiForbiddenResponse({ type: ErrorResponseDto, description: `Needs the ${role} role in the company, and a token with write access.` }),
  );

/**
 * A global catalog under `/:company_id/` (plans, runtimes): any valid token. Company 0 answers
 * too, as Rosti's client asks for catalogs before a company is chosen; any other id must be a
 * company the caller belongs to (404 otherwise, as on every company route).
 */
export const CatalogRoute = () =>
  applyDecorators(
    SetMetadata(ACCESS_POLICY, { kind: 'company', role: 'viewer', catalog: true } satisfies AccessPolicy),
    authenticatedDocs(),
    ApiParam({ name: 'company_id', description: 'Id of a company the caller is a member of, or 0 before one is chosen.', schema: { type: 'integer', minimum: 0 } }),
    ApiNotFoundResponse({ type: ErrorResponseDto, description: 'A company the caller does not belong to.' }),
  );
