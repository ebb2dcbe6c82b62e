import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, IsNull } from 'typeorm';
import { DomainError } from '../common/errors/domain-error.js';
import { CreatedTokenDto, TokenDto } from './dto/token.dto.js';
import { ApiToken } from './entities/api-token.entity.js';
import { hashToken, newTokenSecret, tokenHint } from './token-secret.js';
import { TokenVerifier } from './token-verifier.service.js';

function toDto(token: ApiToken): TokenDto {
  return {
    id: token.id,
    name: token.name,
    hint: token.hint,
    created_at: token.createdAt,
    last_used_at: token.lastUsedAt,
    expires_at: token.expiresAt,
  };
}

@Injectable()
export class TokensService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly verifier: TokenVerifier,
  ) {}

  /** Issues a token; the secret is in the answer and nowhere else. */
  async issue(accountId: number, name: string, expiresAt: Date | null = null, manager?: EntityManager): Promise<CreatedTokenDto> {
    const secret = newTokenSecret();
    const repo = (manager ?? this.db.manager).getRepository(ApiToken);
    const token = await repo.save(repo.create({ accountId, name, tokenHash: hashToken(secret), hint: tokenHint(secret), expiresAt }));
    return { ...toDto(token), token: secret };
  }

  /** Tokens that still work or have merely expired; revoked ones are gone from the list. */
  async list(accountId: number): Promise<TokenDto[]> {
    const tokens = await this.db.getRepository(ApiToken).find({ where: { accountId, revokedAt: IsNull() }, order: { id: 'ASC' } });
    return tokens.map(toDto);
  }

  async revoke(accountId: number, id: number): Promise<TokenDto> {
    const repo = this.db.getRepository(ApiToken);
    const token = await repo.findOne({ where: { id, accountId, revokedAt: IsNull() } });
    if (!token) throw DomainError.notFound('token');
    await repo.update({ id, accountId }, { revokedAt: new Date() });
    this.verifier.forget(token.tokenHash);
    return toDto(token);
  }
}
