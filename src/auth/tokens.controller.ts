import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiNotFoundResponse, ApiParam, ApiTags } from '@nestjs/swagger';
import { Authenticated } from '../common/access/access.decorator.js';
import { parseId } from '../common/access/company-member.guard.js';
import { Actor } from '../common/access/actor.decorator.js';
import { CurrentPrincipal } from '../common/access/current.decorator.js';
import type { AuditActor, Principal } from '../common/access/principal.js';
import { ErrorResponseDto } from '../common/errors/error-response.dto.js';
import { PageQuery, Paginated } from '../common/pagination/paginated.decorator.js';
import type { Page, PageRequest } from '../common/pagination/page-request.js';
import { CreatedTokenDto, CreateTokenDto, TokenDto } from './dto/token.dto.js';
import { TokensService } from './tokens.service.js';

@ApiTags('tokens')
@Authenticated()
@Controller('tokens')
export class TokensController {
  constructor(private readonly tokens: TokensService) {}

  /** The account's tokens, oldest first, without their secrets. */
  @Get()
  @Paginated(TokenDto)
  listTokens(@CurrentPrincipal() principal: Principal, @PageQuery() page: PageRequest): Promise<Page<TokenDto>> {
    return this.tokens.list(principal.accountId, page);
  }

  /** Issues a token, scoped to some companies and to reading only if asked; its secret is shown in this answer only. */
  @Post()
  @HttpCode(200)
  createToken(@CurrentPrincipal() principal: Principal, @Body() body: CreateTokenDto, @Actor() actor: AuditActor): Promise<CreatedTokenDto> {
    return this.tokens.create(principal, body, actor);
  }

  /** Revokes a token of the account; it stops working within a second everywhere. */
  @Delete(':id')
  @ApiParam({ name: 'id', schema: { type: 'integer', minimum: 1 } })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  revokeToken(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Actor() actor: AuditActor): Promise<TokenDto> {
    return this.tokens.revoke(principal.accountId, parseId(id, 'id', 'token'), actor);
  }
}
