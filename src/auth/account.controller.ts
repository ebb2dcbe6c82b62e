import { Body, Controller, Get, Patch } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Authenticated } from '../common/access/access.decorator.js';
import { Actor } from '../common/access/actor.decorator.js';
import { CurrentPrincipal } from '../common/access/current.decorator.js';
import type { AuditActor, Principal } from '../common/access/principal.js';
import { AccountService } from './account.service.js';
import { AccountDto, UpdateAccountDto } from './dto/auth.dto.js';

@ApiTags('account')
@Authenticated()
@Controller('account')
export class AccountController {
  constructor(private readonly account: AccountService) {}

  /** The signed-in account. */
  @Get()
  getAccount(@CurrentPrincipal() principal: Principal): Promise<AccountDto> {
    return this.account.get(principal.accountId);
  }

  /** Renames the account, or sets a new password given the current one (every other token of the account stops working). */
  @Patch()
  updateAccount(@CurrentPrincipal() principal: Principal, @Body() body: UpdateAccountDto, @Actor() actor: AuditActor): Promise<AccountDto> {
    return this.account.update(principal, body, actor);
  }
}
