import type { Reader } from './reader.js';

const NODE = '[a-z0-9][a-z0-9.-]{0,62}';
const HOST = '[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*';

/** Where apps run: the one Docker engine of this machine, or the nodes of a Docker Swarm. */
export interface ClusterConfig {
  /** `docker`: every app on DOCKER_HOST. `swarm`: apps are Swarm services placed across nodes (docs/multi-node.md). */
  driver: 'docker' | 'swarm';
  /** A Swarm manager's engine (CONTAINER_DRIVER=swarm). */
  swarmManager: string;
  /** Who makes a node's quota'd /srv images: `agent`, the node's own `node` role; `local`, the worker, where nodes share its filesystem (one machine). */
  swarmVolumes: 'agent' | 'local';
  /** How often nodes report to the manager; a node silent for a few of these is marked down (its apps say so). */
  swarmHeartbeatSeconds: number;
  /** The node this process runs on: its `ssh` role serves only the apps placed there. Empty: every app (one machine). */
  nodeName: string;
  /** The host name clients reach each node's SSH endpoints at (`ssh_access`); a node not listed has SSH_HOSTNAME. */
  sshHostnames: Record<string, string>;
}

export function readClusterConfig(read: Reader): ClusterConfig {
  const driver = read.oneOf('CONTAINER_DRIVER', 'docker', ['docker', 'swarm']);
  const pairs = read.matching('SSH_NODE_HOSTNAMES', '', new RegExp(`^(${NODE}=${HOST}(,${NODE}=${HOST})*)?$`), 'a comma-separated list of node=host.name');
  return {
    driver,
    swarmManager: read.dockerHost('SWARM_MANAGER', read.dockerHost('DOCKER_HOST', 'unix:///var/run/docker.sock')),
    swarmVolumes: read.oneOf('SWARM_VOLUMES', 'agent', ['agent', 'local']),
    swarmHeartbeatSeconds: read.int('SWARM_HEARTBEAT_SECONDS', 5, 1, 300),
    nodeName: read.matching('NODE_NAME', '', new RegExp(`^(${NODE})?$`), 'a node name: lower-case letters, digits, dots and dashes'),
    sshHostnames: Object.fromEntries(pairs.split(',').filter(Boolean).map((pair) => pair.split('=') as [string, string])),
  };
}
