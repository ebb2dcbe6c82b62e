import { Inject, Injectable } from '@nestjs/common';
import { reachable } from '../common/net.js';
import { BerthConfig } from '../config/config.js';
import { CONFIG } from '../config/config.module.js';
import { CONTAINER_DRIVER, ContainerDriver } from './container-driver.js';

/**
 * Where an app's published port is reached: on the node it runs on. One engine publishes on
 * APP_PUBLISH_ADDRESS; a Swarm node on its own address (the one it joined the Swarm with).
 */
@Injectable()
export class NodeDirectory {
  constructor(
    @Inject(CONTAINER_DRIVER) private readonly driver: ContainerDriver,
    @Inject(CONFIG) private readonly config: BerthConfig,
  ) {}

  /** The address to reach apps placed on `node` at; null when there is no such node (not placed yet, or removed). */
  async hostOf(node: string | null): Promise<string | null> {
    if (this.config.cluster.driver === 'docker') return reachable(this.config.docker.publishAddress);
    if (!node) return null;
    const found = (await this.driver.nodes()).find((n) => n.name === node);
    return found?.address || null;
  }

  /** Each node's address by its name, for many apps at once. */
  async hosts(): Promise<(node: string | null) => string | null> {
    if (this.config.cluster.driver === 'docker') {
      const host = reachable(this.config.docker.publishAddress);
      return () => host;
    }
    const byName = new Map((await this.driver.nodes()).map((n) => [n.name, n.address || null]));
    return (node) => (node ? (byName.get(node) ?? null) : null);
  }
}
