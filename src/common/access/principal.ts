import type { CompanyRole } from '../../companies/entities/membership.entity.js';

/** The account a request authenticated as, and through which token. */
export interface Principal {
  accountId: number;
  tokenId: number;
  expiresAt: number | null;
  /** The companies the token reaches; null: every company of the account. */
  companies: number[] | null;
  /** `read` tokens make GET requests only. */
  access: 'read' | 'write';
}

/** A row of api_tokens as the token checks read it. */
export interface TokenRow {
  id: number;
  account_id: number;
  expires_at: Date | null;
  companies: number[] | null;
  access: 'read' | 'write';
}

/** The SQL condition on `api_tokens` that a token still works: neither revoked nor expired. */
export const TOKEN_USABLE = 'revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())';

export function principalOfRow(row: TokenRow): Principal {
  return { tokenId: row.id, accountId: row.account_id, expiresAt: row.expires_at ? row.expires_at.getTime() : null, companies: row.companies, access: row.access };
}

/** The company a company-scoped request acts in, resolved by the membership guard. */
export interface CompanyContext {
  id: number;
  role: CompanyRole;
}

declare module 'fastify' {
  interface FastifyRequest {
    user?: Principal;
    company?: CompanyContext;
  }
}

/**
 * Who asked for a change, as its audit event records it: the account and token the request
 * authenticated with (null on login and register, which come with none) and the client's
 * address (null for an operator command, which comes from no network).
 */
export interface AuditActor {
  accountId: number | null;
  tokenId: number | null;
  ip: string | null;
}

/** An operator at the server's console (a `berth` command): no account, no token, no client address. */
export const OPERATOR: AuditActor = { accountId: null, tokenId: null, ip: null };
