import { Global, Module } from '@nestjs/common';
import { BerthConfig } from '../config/config.js';
import { CONFIG } from '../config/config.module.js';
import { DnsResolver } from './dns-resolver.js';
import { DomainsController } from './domains.controller.js';
import { DomainsService } from './domains.service.js';

/** Domain verification and the resolver tenants' domains are looked up with. */
@Global()
@Module({
  controllers: [DomainsController],
  providers: [DomainsService, { provide: DnsResolver, inject: [CONFIG], useFactory: (config: BerthConfig) => new DnsResolver(config.apps.dnsResolvers) }],
  exports: [DomainsService, DnsResolver],
})
export class DomainsModule {}
