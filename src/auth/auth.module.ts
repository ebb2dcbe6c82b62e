import { Module } from '@nestjs/common';
import { PassportModule } from '@nestjs/passport';
import { RateLimiter } from '../common/rate-limit/rate-limiter.js';
import { AccountController } from './account.controller.js';
import { AccountService } from './account.service.js';
import { AuthController } from './auth.controller.js';
import { AuthService } from './auth.service.js';
import { LoginThrottle } from './login-throttle.js';
import { StreamTickets } from './stream-tickets.js';
import { StreamTicketsController } from './stream-tickets.controller.js';
import { TokenStrategy } from './token.strategy.js';
import { TokenVerifier } from './token-verifier.service.js';
import { TokensController } from './tokens.controller.js';
import { TokensService } from './tokens.service.js';

@Module({
  imports: [PassportModule.register({ session: false })],
  controllers: [AuthController, TokensController, AccountController, StreamTicketsController],
  providers: [AuthService, AccountService, LoginThrottle, TokensService, TokenVerifier, TokenStrategy, RateLimiter, StreamTickets],
  exports: [AuthService, TokensService, TokenStrategy],
})
export class AuthModule {}
