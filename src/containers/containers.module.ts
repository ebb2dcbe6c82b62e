import { Global, Module } from '@nestjs/common';
import { BerthConfig } from '../config/config.js';
import { CONFIG } from '../config/config.module.js';
import { CONTAINER_DRIVER, ContainerDriver } from './container-driver.js';
import { DockerDriver } from './docker/docker.driver.js';

/** The ContainerDriver adapter, chosen in one place (Docker today). */
@Global()
@Module({
  providers: [{ provide: CONTAINER_DRIVER, inject: [CONFIG], useFactory: (config: BerthConfig): ContainerDriver => new DockerDriver(config.docker) }],
  exports: [CONTAINER_DRIVER],
})
export class ContainersModule {}
