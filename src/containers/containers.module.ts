import { Global, Module } from '@nestjs/common';
import { join } from 'node:path';
import { BerthConfig } from '../config/config.js';
import { CONFIG } from '../config/config.module.js';
import { CONTAINER_DRIVER, ContainerDriver } from './container-driver.js';
import { NodeDirectory } from './node-directory.js';
import { DockerDriver } from './docker/docker.driver.js';
import { SwarmDriver } from './swarm/swarm.driver.js';
import { LoopVolumeStore } from './volumes/loop-volume-store.js';
import { VOLUME_STORE, VolumeStore } from './volumes/volume-store.js';

/** The ContainerDriver adapter and how apps' /srv gets its size limit, chosen in one place (one Docker engine or a Swarm; loop-mounted images). */
@Global()
@Module({
  providers: [
    NodeDirectory,
    {
      provide: VOLUME_STORE,
      inject: [CONFIG],
      useFactory: (config: BerthConfig): VolumeStore | null => (config.volumes.quota === 'loop' ? new LoopVolumeStore(config.volumes.dir) : null),
    },
    {
      provide: CONTAINER_DRIVER,
      inject: [CONFIG, VOLUME_STORE],
      useFactory: (config: BerthConfig, store: VolumeStore | null): ContainerDriver =>
        config.cluster.driver === 'swarm'
          ? new SwarmDriver(config.cluster.swarmManager, config.docker, config.apps.subnet, (node) => (store ? new LoopVolumeStore(join(config.volumes.dir, node)) : null))
          : new DockerDriver(config.docker, config.apps.subnet, store),
    },
  ],
  exports: [CONTAINER_DRIVER, VOLUME_STORE, NodeDirectory],
})
export class ContainersModule {}
