import { Module } from '@nestjs/common';
import { CaddyProcess } from './caddy/caddy-process.js';

/** The edge role: Caddy running, and its routes in step with the apps. */
@Module({ providers: [CaddyProcess] })
export class EdgeRoleModule {}
