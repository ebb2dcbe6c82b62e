import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiNotFoundResponse, ApiParam, ApiSecurity, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { CompanyRole } from '../../companies/entities/membership.entity.js';
import { ErrorResponseDto } from '../errors/error-response.dto.js';

export const ACCESS_POLICY = 'berth:access';

/** Who may call a route. Every route declares one; a route without one is refused. */
export type AccessPolicy = { kind: 'public' } | { kind: 'account' } | { kind: 'company'; role: CompanyRole };

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
 * A route under `/:company_id/`: a valid token of a member holding at least `role`.
 * A non-member gets 404, exactly as for a company that does not exist.
 */
export const CompanyRoute = (role: CompanyRole = 'member') =>
  applyDecorators(
    SetMetadata(ACCESS_POLICY, { kind: 'company', role } satisfies AccessPolicy),
    authenticatedDocs(),
    ApiParam({ name: 'company_id', description: 'Id of a company the caller is a member of.', schema: { type: 'integer', minimum: 1 } }),
    ApiNotFoundResponse({ type: ErrorResponseDto, description: 'No such resource in a company the caller belongs to.' }),
  );
