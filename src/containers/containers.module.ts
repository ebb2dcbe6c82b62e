import { Global, Module } from '@nestjs/common';
import { join } from 'node:path';
import { BerthConfig } from '../config/config.js';
import { CONFIG } from '../config/config.module.js';
import { CONTAINER_DRIVER, ContainerDriver } from './container-driver.js';
import { NodeDirectory } from './node-directory.js';
import { DockerDriver } from './docker/docker.driver.js';
import { SwarmDriver } from './swarm/swarm.driver.js';
import { AgentVolumeStore } from './volumes/agent-volume-store.js';
import { LoopVolumeStore } from './volumes/loop-volume-store.js';
import { VOLUME_STORE, VolumeStore } from './volumes/volume-store.js';

/** A Swarm node's /srv store (the driver keeps one per node): made by the node's agent, or by this process where nodes share its filesystem (one machine). */
function nodeStore(config: BerthConfig, node: string): VolumeStore | null {
  if (config.volumes.quota === 'off') return null;
  if (config.cluster.swarmVolumes === 'local') return new LoopVolumeStore(join(config.volumes.dir, node));
  return new AgentVolumeStore(node, config.redisUrl.reveal(), config.jobs.queuePrefix);
}

/** The ContainerDriver adapter and how apps' /srv gets its size limit, chosen in one place (one Docker engine or a Swarm; loop-mounted images). */
@Global()
@Module({
  providers: [
    NodeDirectory,
    {
      provide: VOLUME_STORE,
      inject: [CONFIG],
      // On a Swarm, volumes are each node's: this process's own store makes none (nodeStores does).
      useFactory: (config: BerthConfig): VolumeStore | null => (config.volumes.quota === 'loop' && config.cluster.driver === 'docker' ? new LoopVolumeStore(config.volumes.dir) : null),
    },
    {
      provide: CONTAINER_DRIVER,
      inject: [CONFIG, VOLUME_STORE],
      useFactory: (config: BerthConfig, store: VolumeStore | null): ContainerDriver =>
        config.cluster.driver === 'swarm'
          ? new SwarmDriver(config.cluster.swarmManager, config.docker, (node) => nodeStore(config, node))
          : new DockerDriver(config.docker, config.apps.subnet, store),
    },
  ],
  exports: [CONTAINER_DRIVER, VOLUME_STORE, NodeDirectory],
})
export class ContainersModule {}
