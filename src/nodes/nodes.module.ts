import { Module } from '@nestjs/common';
import { Placement } from './placement.js';
import { SwarmHeartbeat } from './swarm-heartbeat.js';

/** Where apps run: placement on the nodes the container driver offers (the driver comes from its global module). */
@Module({ providers: [Placement, SwarmHeartbeat], exports: [Placement] })
export class NodesModule {}
