import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiConflictResponse, ApiForbiddenResponse, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { Public } from '../common/access/access.decorator.js';
import { ErrorResponseDto } from '../common/errors/error-response.dto.js';
import { AuthService } from './auth.service.js';
import { LoginDto, LoginResponseDto, RegisterDto, RegisterResponseDto } from './dto/auth.dto.js';

@ApiTags('auth')
@Public()
@Controller('auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  /** Creates an account, its default company named after it, and a first token. */
  @Post('register')
  @HttpCode(200)
  @ApiConflictResponse({ type: ErrorResponseDto, description: 'The email is already registered.' })
  @ApiForbiddenResponse({ type: ErrorResponseDto, description: 'Registration is switched off on this installation.' })
  register(@Body() body: RegisterDto): Promise<RegisterResponseDto> {
    return this.auth.register(body);
  }

  /** Exchanges email and password for a new token. */
  @Post('login')
  @HttpCode(200)
  @ApiUnauthorizedResponse({ type: ErrorResponseDto, description: 'Wrong email or password.' })
  login(@Body() body: LoginDto): Promise<LoginResponseDto> {
    return this.auth.login(body.email, body.password);
  }
}
