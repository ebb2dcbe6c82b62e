import { Module } from '@nestjs/common';
import { NodeAgent } from './node-agent.js';

/** The `node` role: a Swarm node's own /srv images. */
@Module({ providers: [NodeAgent] })
export class NodeAgentModule {}
