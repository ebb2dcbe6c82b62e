import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { Job, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { BerthConfig } from '../config/config.js';
import { CONFIG } from '../config/config.module.js';
import { nodeVolumesQueue, VolumeOp } from '../containers/volumes/agent-volume-store.js';
import { LoopVolumeStore } from '../containers/volumes/loop-volume-store.js';
import { closeConsumer } from '../provisioning/queues.module.js';

const VOLUME_NAME = /^[a-z][a-z0-9-]{0,29}-app-\d{1,10}-srv$/;

/**
 * The `node` role: runs on a Swarm node (NODE_NAME) and makes, sizes, mounts and removes the /srv
 * images of the apps placed there, on the node's own filesystem, for the worker that asks over
 * Redis. One job at a time: a resize must not race a remove of the same volume.
 */
@Injectable()
export class NodeAgent implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('node-agent');
  private readonly store: LoopVolumeStore;
  private worker?: Worker;

  constructor(@Inject(CONFIG) private readonly config: BerthConfig) {
    this.store = new LoopVolumeStore(config.volumes.dir);
  }

  async onModuleInit(): Promise<void> {
    await this.store.check();
    const node = this.config.cluster.nodeName;
    this.worker = new Worker(nodeVolumesQueue(node), (job: Job<VolumeOp>) => this.run(job.data), {
      prefix: this.config.jobs.queuePrefix,
      connection: new Redis(this.config.redisUrl.reveal(), { maxRetriesPerRequest: null }),
      concurrency: 1,
    });
    this.worker.on('error', (err) => this.logger.warn(`queue: ${err.message}`));
    this.logger.log(`serving the /srv volumes of node ${node} from ${this.config.volumes.dir}`);
  }

  async onApplicationShutdown(): Promise<void> {
    await closeConsumer(this.worker);
  }

  private async run(op: VolumeOp): Promise<unknown> {
    // Whoever can write to Redis can queue work here: only apps' volumes, and only a Docker volume's own data as a seed.
    if ('name' in op && !VOLUME_NAME.test(op.name)) throw new Error(`not an app's volume: ${op.name}`);
    if (op.op === 'ensure' && op.seedFrom !== undefined && (!op.seedFrom.endsWith(`/volumes/${op.name}/_data`) || op.seedFrom.includes('/../') || !op.seedFrom.startsWith('/'))) {
      throw new Error(`not the data of volume ${op.name}: ${op.seedFrom}`);
    }
    switch (op.op) {
      case 'ensure':
        return this.store.ensure(op.name, op.sizeMb, op.seedFrom);
      case 'remove':
        return this.store.remove(op.name);
      case 'mounted':
        return [...(await this.store.mounted())];
      case 'usedBytes':
        return this.store.usedBytes(op.name);
    }
  }
}
