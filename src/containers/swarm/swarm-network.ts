import type Docker from 'dockerode';
import type { Subnet } from '../../config/config.js';
import { describeDockerError, found } from '../docker/docker-errors.js';
import { LABEL } from '../docker/labels.js';

/**
 * The apps' network on a Swarm: a bridge on each node, declared once for the whole Swarm. Each
 * node holds a config-only network (subnet, gateway, inter-container traffic off); the manager
 * holds a swarm-scoped bridge made from it, which services join. So every node gives its apps
 * the single-engine installation's network: same subnet, same gateway (where the storages are
 * reached), and one tenant's container cannot reach another's. Nothing spans the nodes: apps
 * have no business talking to each other, and the edge reaches them on their published ports.
 */
export async function ensureSwarmNetwork(manager: Docker, node: Docker, name: string, installation: string, subnet: Subnet): Promise<string> {
  const config = `${name}-config`;
  const labels = { [LABEL.installation]: installation };
  if (!(await exists(node, config))) {
    await create(node, {
      Name: config,
      ConfigOnly: true,
      Labels: labels,
      Options: { 'com.docker.network.bridge.enable_icc': 'false' },
      IPAM: { Driver: 'default', Config: [{ Subnet: subnet.cidr, Gateway: subnet.gateway }] },
    });
  }
  if (!(await exists(manager, name))) {
    // No labels: the engine takes nothing beside ConfigFrom on such a network.
    await create(manager, { Name: name, Driver: 'bridge', Scope: 'swarm', ConfigFrom: { Network: config } });
  }
  return name;
}

function exists(engine: Docker, name: string): Promise<boolean> {
  return found(engine.getNetwork(name).inspect());
}

async function create(engine: Docker, options: Record<string, unknown>): Promise<void> {
  try {
    await engine.createNetwork(options as unknown as Docker.NetworkCreateOptions);
  } catch (err) {
    // Another worker made it a moment ago.
    if (await exists(engine, options.Name as string)) return;
    throw new Error(`cannot create network ${options.Name as string}: ${describeDockerError(err)}`);
  }
}
