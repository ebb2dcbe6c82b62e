// Where Berth puts an app and how a cluster is configured: the choice among nodes, and the
// settings of a Swarm installation (the rest is end to end in test/swarm.e2e.test.ts).
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../dist/src/config/config.js';
import { choose } from '../dist/src/nodes/placement.js';

const node = (name: string, memoryMb: number) => ({ name, state: 'ready', acceptsApps: true, availability: 'active', memoryBytes: memoryMb * 1024 * 1024, cpus: 2, address: '' });
const load = (name: string, memoryMb: number, apps: number, reservedMb: number) => ({ node: node(name, memoryMb), apps, reservedMb, freeMb: memoryMb - reservedMb });

describe('choosing a node', () => {
  it('takes the node with the most memory left once its apps are counted', () => {
    expect(choose([load('a', 4096, 1, 3000), load('b', 2048, 3, 512)])!.node.name).toBe('b');
  });

  it('breaks a tie by fewer apps, then by name, and still places when every node is full', () => {
    expect(choose([load('b', 1024, 2, 512), load('a', 1024, 4, 512)])!.node.name).toBe('b');
    expect(choose([load('b', 1024, 2, 512), load('a', 1024, 2, 512)])!.node.name).toBe('a');
    expect(choose([load('a', 1024, 9, 2048), load('b', 1024, 9, 4096)])!.node.name).toBe('a');
    expect(choose([])).toBeNull();
  });
});

describe('cluster settings', () => {
  it('runs on one engine unless told otherwise, and `all` is the roles of one machine', () => {
    const config = loadConfig({});
    expect(config.cluster).toMatchObject({ driver: 'docker', nodeName: '', swarmVolumes: 'agent', swarmHeartbeatSeconds: 5, sshHostnames: {} });
    expect(config.roles).toEqual(['api', 'worker', 'ssh', 'edge']);
  });

  it('reads a Swarm installation and each node SSH host', () => {
    const config = loadConfig({ CONTAINER_DRIVER: 'swarm', SWARM_MANAGER: 'tcp://10.0.0.1:2376', SSH_NODE_HOSTNAMES: 'n-1=ssh1.example.com,n-2=ssh2.example.com', SWARM_HEARTBEAT_SECONDS: '3' });
    expect(config.cluster).toMatchObject({ driver: 'swarm', swarmManager: 'tcp://10.0.0.1:2376', swarmHeartbeatSeconds: 3, sshHostnames: { 'n-1': 'ssh1.example.com', 'n-2': 'ssh2.example.com' } });
  });

  it('refuses a node role without its node name or without quotas, and names what is wrong', () => {
    const problems = (env: Record<string, string>) => {
      try {
        loadConfig(env);
        return '';
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        return (err as Error).message;
      }
    };
    expect(problems({ BERTH_ROLES: 'ssh,node' })).toMatch(/BERTH_ROLES has node, which needs NODE_NAME/);
    expect(problems({ BERTH_ROLES: 'node', NODE_NAME: 'n-1', DISK_QUOTA: 'off' })).toMatch(/needs DISK_QUOTA=loop/);
    expect(problems({ NODE_NAME: 'Node 1' })).toMatch(/NODE_NAME must be a node name/);
    expect(problems({ SSH_NODE_HOSTNAMES: 'n-1' })).toMatch(/SSH_NODE_HOSTNAMES must be a comma-separated list of node=host.name/);
    expect(problems({ BERTH_ROLES: 'node', NODE_NAME: 'n-1' })).toBe('');
  });
});
