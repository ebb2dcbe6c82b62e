import { Module } from '@nestjs/common';
import { RateLimiter } from '../common/rate-limit/rate-limiter.js';
import { SshEndpointProblems } from './ssh-endpoint-problems.js';
import { SshGateway } from './ssh-gateway.service.js';
import { SshHostKeys } from './ssh-host-keys.service.js';

/** The ssh role: the gateway into apps' containers. */
@Module({ providers: [SshGateway, SshHostKeys, RateLimiter, SshEndpointProblems] })
export class SshModule {}
