import { Module } from '@nestjs/common';
import { CaddyProcess } from './caddy/caddy-process.js';
import { CertificateMonitor } from './certificates/certificate-monitor.js';

/** The edge role: Caddy running, its routes in step with the apps, and its certificates watched. */
@Module({ providers: [CaddyProcess, CertificateMonitor] })
export class EdgeRoleModule {}
