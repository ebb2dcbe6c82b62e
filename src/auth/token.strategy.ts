import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { Strategy } from 'passport-custom';
import { Principal } from '../common/access/principal.js';
import { DomainError } from '../common/errors/domain-error.js';
import { TokenVerifier } from './token-verifier.service.js';

// Rosti clients send "Token"; generated SDKs send "Bearer". The scheme name is case-insensitive.
const AUTHORIZATION = /^(token|bearer)[ \t]+(\S+)[ \t]*$/i;

/**
 * Reads the token from the Authorization header only: never from the query
 * string or the body, where it would end up in logs and browser history.
 */
@Injectable()
export class TokenStrategy extends PassportStrategy(Strategy, 'token') {
  constructor(private readonly verifier: TokenVerifier) {
    super();
  }

  async validate(request: FastifyRequest): Promise<Principal> {
    const header = request.headers.authorization;
    if (!header) throw DomainError.unauthorized();
    const match = AUTHORIZATION.exec(header);
    if (!match) throw DomainError.unauthorized('malformed Authorization header: expected "Token <token>" or "Bearer <token>"');
    const principal = await this.verifier.verify(match[2]);
    if (!principal) throw DomainError.unauthorized('token is unknown, revoked or expired');
    return principal;
  }
}
