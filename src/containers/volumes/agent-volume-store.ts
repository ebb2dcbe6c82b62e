import { Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { ContainerEngineUnavailableError } from '../container-driver.js';
import type { EnsuredVolume, VolumeStore } from './volume-store.js';

/** The queue a node's agent (the `node` role, NODE_NAME=<node>) takes its volume work from. */
export function nodeVolumesQueue(node: string): string {
  return `node-volumes-${node}`;
}

/** What the agent is asked; `VolumeStore`'s methods, one job each. */
export type VolumeOp = { op: 'ensure'; name: string; sizeMb: number; seedFrom?: string } | { op: 'remove'; name: string } | { op: 'mounted' } | { op: 'usedBytes'; name: string };

// A size change checks and resizes a filesystem: give it time. The rest are quick.
const ENSURE_TIMEOUT_MS = 15 * 60_000;
const QUICK_TIMEOUT_MS = 30_000;
// list() and inspect() ask for every node's mounted volumes often (the log collector, every second).
const MOUNTED_FRESH_MS = 1000;
// Whether an agent listens is asked of Redis (CLIENT LIST) at most this often.
const AGENT_FRESH_MS = 5000;

/**
 * A node's /srv volumes, made and mounted by the agent on that node: the worker asks over Redis
 * (one BullMQ queue per node) and waits for the answer. Connections open on first use.
 */
export class AgentVolumeStore implements VolumeStore {
  private queue?: Queue;
  private events?: QueueEvents;
  private mountedCache?: { at: number; names: Promise<Set<string>> };
  private readonly connections: Redis[] = [];
  private agentSeenAt = 0;

  constructor(
    private readonly node: string,
    private readonly redisUrl: string,
    private readonly prefix: string,
  ) {}

  async check(): Promise<void> {
    await this.mounted();
  }

  async ensure(name: string, sizeMb: number, seedFrom?: string): Promise<EnsuredVolume> {
    this.mountedCache = undefined;
    return this.ask({ op: 'ensure', name, sizeMb, seedFrom }, ENSURE_TIMEOUT_MS);
  }

  async remove(name: string): Promise<void> {
    this.mountedCache = undefined;
    await this.ask({ op: 'remove', name }, QUICK_TIMEOUT_MS);
  }

  async mounted(): Promise<Set<string>> {
    if (!this.mountedCache || Date.now() - this.mountedCache.at > MOUNTED_FRESH_MS) {
      const names = this.ask<string[]>({ op: 'mounted' }, QUICK_TIMEOUT_MS).then((list) => new Set(list));
      this.mountedCache = { at: Date.now(), names };
      names.catch(() => (this.mountedCache = undefined));
    }
    return this.mountedCache.names;
  }

  async usedBytes(name: string): Promise<number | null> {
    return this.ask({ op: 'usedBytes', name }, QUICK_TIMEOUT_MS);
  }

  async close(): Promise<void> {
    await this.events?.close().catch(() => undefined);
    await this.queue?.close().catch(() => undefined);
    // BullMQ leaves connections it was given open: they are ours to close.
    for (const connection of this.connections) connection.disconnect();
  }

  /** Fails at once, instead of after the job's whole timeout, when no agent takes this node's jobs. */
  private async assertAgent(queue: Queue): Promise<void> {
    if (this.agentSeenAt && Date.now() - this.agentSeenAt < AGENT_FRESH_MS) return;
    if ((await queue.getWorkersCount()) === 0) {
      throw new ContainerEngineUnavailableError(`node ${this.node} has no agent running (Berth's node role with NODE_NAME=${this.node}): its /srv volumes cannot be made or read`);
    }
    this.agentSeenAt = Date.now();
  }

  private async ask<T>(op: VolumeOp, timeoutMs: number): Promise<T> {
    if (!this.queue || !this.events) {
      const redis = (options: { maxRetriesPerRequest: number | null }) => {
        const connection = new Redis(this.redisUrl, options);
        this.connections.push(connection);
        return connection;
      };
      this.queue = new Queue(nodeVolumesQueue(this.node), { prefix: this.prefix, connection: redis({ maxRetriesPerRequest: 1 }) });
      this.events = new QueueEvents(nodeVolumesQueue(this.node), { prefix: this.prefix, connection: redis({ maxRetriesPerRequest: null }) });
      // Redis being away is the job's failure (a timeout), not the process's: no unhandled 'error'.
      this.queue.on('error', () => undefined);
      this.events.on('error', () => undefined);
    }
    await this.events.waitUntilReady();
    await this.assertAgent(this.queue);
    // Nothing is kept once answered: a volume's name is all a job holds.
    const job = await this.queue.add(op.op, op, { removeOnComplete: true, removeOnFail: { age: 3600 } });
    try {
      return (await job.waitUntilFinished(this.events, timeoutMs)) as T;
    } catch (err) {
      const message = (err as Error).message;
      if (/timed out/i.test(message)) {
        await job.remove().catch(() => undefined);
        throw new ContainerEngineUnavailableError(`node ${this.node}'s agent (Berth's node role, NODE_NAME=${this.node}) did not answer within ${timeoutMs / 1000} s`);
      }
      throw new Error(`node ${this.node}: ${message}`);
    }
  }
}
