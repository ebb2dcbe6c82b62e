import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { AuditActor } from '../common/access/principal.js';
import { violated } from '../common/errors/constraint.js';
import { DomainError } from '../common/errors/domain-error.js';
import { Limit, RateLimiter } from '../common/rate-limit/rate-limiter.js';
import { CompaniesService } from '../companies/companies.service.js';
import { BerthConfig } from '../config/config.js';
import { CONFIG } from '../config/config.module.js';
import { EventsService } from '../events/events.service.js';
import { LoginResponseDto, RegisterDto, RegisterResponseDto } from './dto/auth.dto.js';
import { Account } from './entities/account.entity.js';
import { LoginThrottle } from './login-throttle.js';
import { burnPasswordCheck, hashPassword, verifyPassword } from './password.js';
import { TokensService } from './tokens.service.js';

export interface NewAccount {
  email: string;
  password: string;
  name?: string;
}

@Injectable()
export class AuthService {
  // Mass sign-ups, and learning which emails have accounts from the 409, from one address.
  private readonly registrationsPerIp: Limit;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(CONFIG) private readonly config: BerthConfig,
    private readonly companies: CompaniesService,
    private readonly tokens: TokensService,
    private readonly limiter: RateLimiter,
    private readonly throttle: LoginThrottle,
    private readonly events: EventsService,
  ) {
    this.registrationsPerIp = { name: 'register-ip', max: config.registrationsPerIp, windowMs: 60 * 60_000 };
  }

  async register(input: RegisterDto, actor: AuditActor): Promise<RegisterResponseDto> {
    if (!this.config.registrationEnabled) {
      throw new DomainError('forbidden', 'public registration is switched off on this installation; an operator creates accounts');
    }
    // Every attempt counts, before any hashing and whatever its outcome: a known email's 409
    // included, so an address learns about few emails an hour.
    await this.limiter.consume(this.registrationsPerIp, actor.ip ?? '');
    return this.createAccount(input, 'registration', actor);
  }

  /**
   * Creates an account, its default company (named after it) and a first token, all or nothing.
   * `via` names the token and says in the account's first event how it came to be.
   */
  async createAccount(input: NewAccount, via: 'registration' | 'operator', actor: AuditActor): Promise<RegisterResponseDto> {
    const email = input.email.trim().toLowerCase();
    const name = input.name?.trim() || email;
    // A known email costs no argon2: the 409 tells no more than the unique index would below.
    if (await this.db.getRepository(Account).existsBy({ email })) throw DomainError.conflict('email', 'is already registered');
    const passwordHash = await hashPassword(input.password);
    try {
      return await this.db.transaction(async (tx) => {
        const account = await tx.save(tx.create(Account, { email, name, passwordHash }));
        // Nobody was signed in: the new account is who acted.
        const by = { ...actor, accountId: account.id };
        await this.events.record(tx, by, { action: 'auth.register', companyId: null, target: { type: 'account', id: account.id }, data: { via } });
        const company = await this.companies.create(account.id, name, by, tx);
        const token = await this.tokens.issue(account.id, via, null, tx);
        return {
          account: { id: account.id, email, name, created_at: account.createdAt },
          company,
          token: token.token,
        };
      });
    } catch (err) {
      if (violated(err, 'accounts_email_key')) {
        throw DomainError.conflict('email', 'is already registered');
      }
      throw err;
    }
  }

  async login(email: string, password: string, actor: AuditActor): Promise<LoginResponseDto> {
    const ip = actor.ip ?? '';
    await this.throttle.admit(email, ip);
    let found: Account | null;
    let matches: boolean;
    try {
      found = await this.db.getRepository(Account).findOne({ where: { email } });
      matches = found ? await verifyPassword(found.passwordHash, password) : await burnPasswordCheck(password).then(() => false);
    } catch (err) {
      // No password was checked (too busy, database down): the attempt is no failure.
      await this.throttle.withdrawn(email, ip).catch(() => undefined);
      throw err;
    }
    if (!found || !matches) {
      // The account tried sees it among its events. An email with no account leaves only the
      // address: storing the email would keep whatever strangers type, and help nobody.
      const target = found ? { type: 'account' as const, id: found.id } : null;
      await this.events.recordAfter({ ...actor, accountId: found?.id ?? null }, { action: 'auth.login_failed', companyId: null, target });
      throw DomainError.unauthorized('wrong email or password');
    }
    const account = found;
    await this.throttle.succeeded(email, ip);
    // A login's token expires (LOGIN_TOKEN_TTL_DAYS): tokens for scripts are made on purpose.
    const expiresAt = new Date(Date.now() + this.config.loginTokenTtlDays * 86_400_000);
    const token = await this.db.transaction(async (tx) => {
      const token = await this.tokens.issue(account.id, 'login', expiresAt, tx);
      await this.events.record(tx, { ...actor, accountId: account.id }, { action: 'auth.login', companyId: null, target: { type: 'token', id: token.id } });
      return token;
    });
    return { token: token.token };
  }
}
