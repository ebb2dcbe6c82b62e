// A Swarm of Docker engines on this machine, for tests: each node is a network namespace with its
// own dockerd (scripts/swarm-nodes.sh does the work; this only calls it and reads what it prints).
// Node 1 is the manager. The machine's own engine stays out of every Swarm.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The script tests and people share. */
export const SWARM_NODES_SCRIPT = fileURLToPath(new URL('../../scripts/swarm-nodes.sh', import.meta.url));

export interface SwarmNode {
  /** `<set>-n<index>`: also the node's `berth.node` label (every node has `berth.apps=true` too). */
  name: string;
  /** 1-based; node 1 is the manager. */
  index: number;
  /** Its address on the set's bridge (10.213.<k>.<10 + index>): reachable from the host, and from the other nodes. */
  address: string;
  /** Its engine's socket, e.g. /run/berth-nodes/hn-n2.sock. */
  socket: string;
  /** The same as a Docker host: unix:///run/berth-nodes/<set>-n<index>.sock (for `docker -H`, dockerode's socketPath is `socket`). */
  engineHost: string;
  /** Its id in the Swarm (`docker node ls`; constraints like node.id==<nodeId>). */
  nodeId: string;
}

export interface SwarmSet {
  set: string;
  /** The manager's (node 1's) engine, as a Docker host. */
  managerHost: string;
  nodes: SwarmNode[];
  /** Removes the set: engines, namespaces, links, bridge, forwarding rules (the engines' images stay on disk). */
  down(): Promise<void>;
  /** Node `index`'s engine fails (SIGTERM; resolves once it has exited). */
  stopEngine(index: number): Promise<void>;
  /** Node `index`'s engine dies at once (SIGKILL), as on a machine that loses power: nothing is cleaned up. */
  crashEngine(index: number): Promise<void>;
  /**
   * Node `index`'s engine comes back with the same flags: resolves once it answers and its Swarm state is
   * active again (or, were its manager away, after the script's wait). The manager may report it ready a
   * moment later: poll `docker node inspect` for that.
   */
  startEngine(index: number): Promise<void>;
  /** The docker CLI on node `index`'s engine; resolves to its trimmed stdout. */
  docker(index: number, ...args: string[]): Promise<string>;
}

async function script(args: string[], timeout: number, env: Record<string, string> = {}): Promise<string> {
  try {
    return (await run('bash', [SWARM_NODES_SCRIPT, ...args], { timeout, maxBuffer: 16 << 20, env: { ...process.env, ...env } })).stdout;
  } catch (err: any) {
    throw new Error(`swarm-nodes.sh ${args.join(' ')} failed (${err.code ?? err.signal}):\n${err.stderr ?? ''}${err.stdout ?? ''}`);
  }
}

/** The docker CLI on an engine given as a Docker host (unix://...); resolves to its trimmed stdout. */
export async function nodeDocker(engineHost: string, ...args: string[]): Promise<string> {
  return (await run('docker', ['-H', engineHost, ...args], { timeout: 120_000, maxBuffer: 16 << 20 })).stdout.trim();
}

/**
 * Brings up set `set` with `count` nodes (1..8) and `images` loaded into each (only where a node
 * lacks that image id: the engines' data is kept between runs). Whatever an earlier run of the same
 * set left behind goes first. Test files that run at once must use different set names. Engines
 * keep containers apart on their default bridge, as Berth requires, except those in `iccNodes`.
 */
export async function startSwarm(options: { set: string; count: number; images: string[]; iccNodes?: number[] }): Promise<SwarmSet> {
  const { set, count, images } = options;
  let out: string;
  try {
    out = await script(['up', set, String(count), ...images], 600_000, { BERTH_NODES_ICC: (options.iccNodes ?? []).join(' ') });
  } catch (err) {
    // The script removes what a failed `up` made; not if it was stopped (the timeout) before it could.
    await script(['down', set], 180_000).catch(() => undefined);
    throw err;
  }
  const nodes: SwarmNode[] = [];
  for (const line of out.split('\n')) {
    const m = /^node (\d+) (\S+) unix:\/\/(\S+) (\S+)$/.exec(line.trim());
    if (!m) continue;
    const index = Number(m[1]);
    nodes.push({ name: `${set}-n${index}`, index, address: m[2], socket: m[3], engineHost: `unix://${m[3]}`, nodeId: m[4] });
  }
  nodes.sort((a, b) => a.index - b.index);
  if (nodes.length !== count) throw new Error(`swarm-nodes.sh up ${set} ${count} printed ${nodes.length} nodes:\n${out}`);
  const node = (index: number) => {
    const found = nodes.find((n) => n.index === index);
    if (!found) throw new Error(`set ${set} has no node ${index}`);
    return found;
  };
  return {
    set,
    managerHost: node(1).engineHost,
    nodes,
    down: async () => void (await script(['down', set], 180_000)),
    stopEngine: async (index) => void (await script(['stop', set, String(node(index).index)], 120_000)),
    crashEngine: async (index) => void (await script(['crash', set, String(node(index).index)], 60_000)),
    startEngine: async (index) => void (await script(['start', set, String(node(index).index)], 180_000)),
    docker: (index, ...args) => nodeDocker(node(index).engineHost, ...args),
  };
}
