import type Docker from 'dockerode';
import type { ContainerNode } from '../container-driver.js';
import { DockerEngine } from '../docker/docker-engine.js';
import { versioned } from './swarm-services.js';

/** Node labels an operator sets (`docker node update --label-add`); docs/multi-node.md. */
export const NODE_LABEL = {
  /** The name Berth records placements by; the engine's host name when missing (every node must then have its own). */
  name: 'berth.node',
  /** `true`: Berth may place apps on the node. */
  apps: 'berth.apps',
  /** How Berth reaches the node's own engine (exec, archives, logs, volumes): `unix:///…` or `tcp://host:port`. */
  engine: 'berth.engine',
} as const;

/** A Swarm node as Berth uses it. */
export interface SwarmNode extends ContainerNode {
  id: string;
  /** The node's own engine; null when it has no `berth.engine` label (it cannot take apps). */
  engine: DockerEngine | null;
}

const NODE_NAME = /^[a-z0-9][a-z0-9.-]{0,62}$/;

// The manager's view of the nodes changes rarely; every driver call reads it.
const FRESH_MS = 1000;

/** The Swarm's nodes, read from a manager and kept for a second, with a client for each node's engine. */
export class SwarmNodes {
  private cached: { at: number; nodes: Promise<SwarmNode[]> } | null = null;
  private readonly engines = new Map<string, DockerEngine>();

  constructor(private readonly manager: Docker) {}

  async all(): Promise<SwarmNode[]> {
    if (!this.cached || Date.now() - this.cached.at > FRESH_MS) {
      const nodes = this.read();
      this.cached = { at: Date.now(), nodes };
      nodes.catch(() => (this.cached = null));
    }
    return this.cached.nodes;
  }

  /** Forgets what was read: the next call asks the manager. */
  refresh(): void {
    this.cached = null;
  }

  async byName(name: string): Promise<SwarmNode | null> {
    return (await this.all()).find((n) => n.name === name) ?? null;
  }

  private async read(): Promise<SwarmNode[]> {
    const listed = (await this.manager.listNodes()) as NodeInfo[];
    return listed.map((node) => {
      const labels = node.Spec?.Labels ?? {};
      const host = labels[NODE_LABEL.engine];
      const engine = host ? this.engine(host) : null;
      const state = node.Status?.State === 'ready' ? 'ready' : node.Status?.State === 'down' || node.Status?.State === 'disconnected' ? 'down' : 'unknown';
      const availability = node.Spec?.Availability ?? 'active';
      const given = labels[NODE_LABEL.name] || node.Description?.Hostname || '';
      // The name is recorded on apps and names the node's volume directory: nothing else passes.
      const named = NODE_NAME.test(given);
      return {
        id: node.ID,
        name: named ? given : node.ID,
        state,
        availability,
        acceptsApps: named && labels[NODE_LABEL.apps] === 'true' && state === 'ready' && availability === 'active' && engine !== null,
        memoryBytes: node.Description?.Resources?.MemoryBytes ?? 0,
        cpus: (node.Description?.Resources?.NanoCPUs ?? 0) / 1e9,
        address: node.Status?.Addr ?? '',
        engine,
      };
    });
  }

  private engine(host: string): DockerEngine {
    let engine = this.engines.get(host);
    if (!engine) this.engines.set(host, (engine = new DockerEngine(host)));
    return engine;
  }
}

/**
 * Sets how often nodes report to the manager. The manager marks a node down once it has missed a
 * few (about three periods), so this is what bounds how soon an app's node is reported unreachable.
 */
export async function setHeartbeat(manager: Docker, seconds: number): Promise<void> {
  const swarm = (await manager.swarmInspect()) as { Version: { Index: number }; Spec: { Dispatcher?: { HeartbeatPeriod?: number } } & Record<string, unknown> };
  const period = seconds * 1e9;
  if (swarm.Spec.Dispatcher?.HeartbeatPeriod === period) return;
  await manager.swarmUpdate(versioned(swarm.Version.Index, { ...swarm.Spec, Dispatcher: { ...swarm.Spec.Dispatcher, HeartbeatPeriod: period } }));
}

interface NodeInfo {
  ID: string;
  Spec?: { Labels?: Record<string, string>; Availability?: string };
  Description?: { Hostname?: string; Resources?: { MemoryBytes?: number; NanoCPUs?: number } };
  Status?: { State?: string; Addr?: string };
}
