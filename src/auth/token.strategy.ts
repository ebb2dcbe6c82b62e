import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { Strategy } from 'passport-custom';
import { Principal } from '../common/access/principal.js';
import { DomainError } from '../common/errors/domain-error.js';
import { StreamTickets } from './stream-tickets.js';
import { TokenVerifier } from './token-verifier.service.js';

// Rosti clients send "Token"; generated SDKs send "Bearer". The scheme name is case-insensitive.
const AUTHORIZATION = /^(token|bearer)[ \t]+(\S+)[ \t]*$/i;

function known(principal: Principal | null): Principal {
  if (!principal) throw DomainError.unauthorized('token is unknown, revoked or expired');
  return principal;
}

/**
 * Reads the token from the Authorization header only: never from the query
 * string or the body, where it would end up in logs and browser history. A
 * stream ticket (StreamTickets) is the one thing read from the query string.
 *
 * Registered with passport as the `token` strategy. The API's guard calls
 * principalOf() itself rather than through passport.authenticate(): passport's
 * per-request machinery (a strategy instance, callbacks, a promise around them)
 * costs more than a cached token check, which answers synchronously.
 */
@Injectable()
export class TokenStrategy extends PassportStrategy(Strategy, 'token') {
  constructor(
    private readonly verifier: TokenVerifier,
    private readonly tickets: StreamTickets,
  ) {
    super();
  }

  validate(request: FastifyRequest): Promise<Principal> {
    return Promise.resolve(this.principalOf(request));
  }

  /** The request's principal; a promise only when the token must be looked up. */
  principalOf(request: FastifyRequest): Principal | Promise<Principal> {
    const header = request.headers.authorization;
    if (!header) {
      // A browser's EventSource sends no header: a stream ticket (never a token) in the URL opens its one stream.
      const ticket = (request.query as Record<string, unknown> | undefined)?.ticket;
      if (typeof ticket === 'string') return this.tickets.principalOf(request, ticket);
      throw DomainError.unauthorized();
    }
    const match = AUTHORIZATION.exec(header);
    if (!match) throw DomainError.unauthorized('malformed Authorization header: expected "Token <token>" or "Bearer <token>"');
    const principal = this.verifier.verify(match[2]);
    return principal instanceof Promise ? principal.then(known) : known(principal);
  }
}
