import { Global, Module } from '@nestjs/common';
import { BerthConfig } from '../config/config.js';
import { CONFIG } from '../config/config.module.js';
import { CONTAINER_DRIVER, ContainerDriver } from './container-driver.js';
import { DockerDriver } from './docker/docker.driver.js';
import { LoopVolumeStore } from './volumes/loop-volume-store.js';
import { VOLUME_STORE, VolumeStore } from './volumes/volume-store.js';

/** The ContainerDriver adapter and how apps' /srv gets its size limit, chosen in one place (Docker and loop-mounted images today). */
@Global()
@Module({
  providers: [
    {
      provide: VOLUME_STORE,
      inject: [CONFIG],
      useFactory: (config: BerthConfig): VolumeStore | null => (config.volumes.quota === 'loop' ? new LoopVolumeStore(config.volumes.dir) : null),
    },
    {
      provide: CONTAINER_DRIVER,
      inject: [CONFIG, VOLUME_STORE],
      useFactory: (config: BerthConfig, store: VolumeStore | null): ContainerDriver => new DockerDriver(config.docker, config.apps.subnet, store),
    },
  ],
  exports: [CONTAINER_DRIVER, VOLUME_STORE],
})
export class ContainersModule {}
