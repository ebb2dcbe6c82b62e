import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, QueryFailedError } from 'typeorm';
import { DomainError } from '../common/errors/domain-error.js';
import { CompaniesService } from '../companies/companies.service.js';
import { BerthConfig } from '../config/config.js';
import { CONFIG } from '../config/config.module.js';
import { LoginResponseDto, RegisterDto, RegisterResponseDto } from './dto/auth.dto.js';
import { Account } from './entities/account.entity.js';
import { burnPasswordCheck, hashPassword, verifyPassword } from './password.js';
import { TokensService } from './tokens.service.js';

export interface NewAccount {
  email: string;
  password: string;
  name?: string;
}

@Injectable()
export class AuthService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(CONFIG) private readonly config: BerthConfig,
    private readonly companies: CompaniesService,
    private readonly tokens: TokensService,
  ) {}

  register(input: RegisterDto): Promise<RegisterResponseDto> {
    if (!this.config.registrationEnabled) {
      throw new DomainError('forbidden', 'public registration is switched off on this installation; an operator creates accounts');
    }
    return this.createAccount(input, 'registration');
  }

  /** Creates an account, its default company (named after it) and a first token, all or nothing. */
  async createAccount(input: NewAccount, tokenName: string): Promise<RegisterResponseDto> {
    const email = input.email.trim().toLowerCase();
    const name = input.name?.trim() || email;
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
      if (err instanceof QueryFailedError && (err.driverError as { constraint?: string }).constraint === 'accounts_email_key') {
        throw DomainError.conflict('email', 'is already registered');
      }
      throw err;
    }
  }

  async login(email: string, password: string): Promise<LoginResponseDto> {
    const account = await this.db.getRepository(Account).findOne({ where: { email } });
    if (!account) {
      await burnPasswordCheck(password);
      throw DomainError.unauthorized('wrong email or password');
    }
    if (!(await verifyPassword(account.passwordHash, password))) throw DomainError.unauthorized('wrong email or password');
    const token = await this.tokens.issue(account.id, 'login');
    return { token: token.token };
  }
}
