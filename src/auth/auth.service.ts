import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { violated } from '../common/errors/constraint.js';
import { DomainError } from '../common/errors/domain-error.js';
import { Limit, RateLimiter } from '../common/rate-limit/rate-limiter.js';
import { CompaniesService } from '../companies/companies.service.js';
import { BerthConfig } from '../config/config.js';
import { CONFIG } from '../config/config.module.js';
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
  ) {
    this.registrationsPerIp = { name: 'register-ip', max: config.registrationsPerIp, windowMs: 60 * 60_000 };
  }

  async register(input: RegisterDto, ip: string): Promise<RegisterResponseDto> {
    if (!this.config.registrationEnabled) {
      throw new DomainError('forbidden', 'public registration is switched off on this installation; an operator creates accounts');
    }
    // Every attempt counts, before any hashing and whatever its outcome: a known email's 409
    // included, so an address learns about few emails an hour.
    await this.limiter.consume(this.registrationsPerIp, ip);
    return this.createAccount(input, 'registration');
  }

  /** Creates an account, its default company (named after it) and a first token, all or nothing. */
  async createAccount(input: NewAccount, tokenName: string): Promise<RegisterResponseDto> {
    const email = input.email.trim().toLowerCase();
    const name = input.name?.trim() || email;
    // A known email costs no argon2: the 409 tells no more than the unique index would below.
    if (await this.db.getRepository(Account).existsBy({ email })) throw DomainError.conflict('email', 'is already registered');
    const passwordHash = await hashPassword(input.password);
    try {
      return await this.db.transaction(async (tx) => {
        const account = await tx.save(tx.create(Account, { email, name, passwordHash }));
        const company = await this.companies.create(account.id, name, tx);
        const token = await this.tokens.issue(account.id, tokenName, null, tx);
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

  async login(email: string, password: string, ip: string): Promise<LoginResponseDto> {
    await this.throttle.admit(email, ip);
    let account: Account | null;
    try {
      const found = await this.db.getRepository(Account).findOne({ where: { email } });
      const matches = found ? await verifyPassword(found.passwordHash, password) : await burnPasswordCheck(password).then(() => false);
      account = matches ? found : null;
    } catch (err) {
      // No password was checked (too busy, database down): the attempt is no failure.
      await this.throttle.withdrawn(email, ip).catch(() => undefined);
      throw err;
    }
    if (!account) throw DomainError.unauthorized('wrong email or password');
    await this.throttle.succeeded(email, ip);
    // A login's token expires (LOGIN_TOKEN_TTL_DAYS): tokens for scripts are made on purpose.
    const token = await this.tokens.issue(account.id, 'login', new Date(Date.now() + this.config.loginTokenTtlDays * 86_400_000));
    return { token: token.token };
  }
}
