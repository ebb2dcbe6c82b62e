import { Global, Module } from '@nestjs/common';
import { BerthConfig } from '../config/config.js';
import { CONFIG } from '../config/config.module.js';
import { CaddyRouter } from './caddy/caddy.router.js';
import { EDGE_ROUTER, EdgeRouter } from './edge-router.js';
import { EdgeSync } from './edge-sync.service.js';

/** The EdgeRouter adapter, chosen in one place (Caddy, or none with EDGE_ROUTER=off), and the sync that drives it. */
@Global()
@Module({
  providers: [
    { provide: EDGE_ROUTER, inject: [CONFIG], useFactory: (config: BerthConfig): EdgeRouter | null => (config.edge.router === 'caddy' ? new CaddyRouter(config.edge) : null) },
    EdgeSync,
  ],
  exports: [EDGE_ROUTER, EdgeSync],
})
export class EdgeModule {}
