import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { BerthConfig } from '../config/config.js';
import { CONFIG } from '../config/config.module.js';
import { CONTAINER_DRIVER, ContainerDriver } from '../containers/container-driver.js';
import { SwarmDriver } from '../containers/swarm/swarm.driver.js';

/** The worker sets the Swarm's heartbeat to SWARM_HEARTBEAT_SECONDS: how soon a silent node is marked down is Berth's setting. */
@Injectable()
export class SwarmHeartbeat implements OnApplicationBootstrap {
  private readonly logger = new Logger('nodes');

  constructor(
    @Inject(CONFIG) private readonly config: BerthConfig,
    @Inject(CONTAINER_DRIVER) private readonly driver: ContainerDriver,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!(this.driver instanceof SwarmDriver) || !this.config.roles.includes('worker')) return;
    // A manager away at start-up is not fatal: apps are still served; the next start sets it.
    await this.driver.heartbeat(this.config.cluster.swarmHeartbeatSeconds).catch((err: Error) => this.logger.warn(`cannot set the Swarm's heartbeat: ${err.message}`));
  }
}
