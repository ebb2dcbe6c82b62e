import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiConflictResponse, ApiForbiddenResponse, ApiServiceUnavailableResponse, ApiTags, ApiTooManyRequestsResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { Public } from '../common/access/access.decorator.js';
import { Actor } from '../common/access/actor.decorator.js';
import type { AuditActor } from '../common/access/principal.js';
import { ErrorResponseDto } from '../common/errors/error-response.dto.js';
import { AuthService } from './auth.service.js';
import { LoginDto, LoginResponseDto, RegisterDto, RegisterResponseDto } from './dto/auth.dto.js';

@ApiTags('auth')
@Public()
@ApiServiceUnavailableResponse({ type: ErrorResponseDto, description: 'Too much password work at once on this server; try again after Retry-After.' })
@Controller('auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  /** Creates an account, its default company named after it, and a first token. */
  @Post('register')
  @HttpCode(200)
  @ApiConflictResponse({ type: ErrorResponseDto, description: 'The email is already registered.' })
  @ApiForbiddenResponse({ type: ErrorResponseDto, description: 'Registration is switched off on this installation.' })
  @ApiTooManyRequestsResponse({ type: ErrorResponseDto, description: 'Too many registrations from this address; see Retry-After.' })
  register(@Body() body: RegisterDto, @Actor() actor: AuditActor): Promise<RegisterResponseDto> {
    return this.auth.register(body, actor);
  }

  /** Exchanges email and password for a new token. */
  @Post('login')
  @HttpCode(200)
  @ApiUnauthorizedResponse({ type: ErrorResponseDto, description: 'Wrong email or password.' })
  @ApiTooManyRequestsResponse({ type: ErrorResponseDto, description: 'Too many failed attempts; see Retry-After.' })
  login(@Body() body: LoginDto, @Actor() actor: AuditActor): Promise<LoginResponseDto> {
    return this.auth.login(body.email, body.password, actor);
  }
}
