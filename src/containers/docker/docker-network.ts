import type Docker from 'dockerode';
import type { Subnet } from '../../config/config.js';
import { describeDockerError } from './docker-errors.js';
import { LABEL } from './labels.js';

/**
 * The apps' network: a bridge of the installation's own with inter-container traffic
 * switched off (one tenant's container cannot reach another's), on a fixed subnet, so
 * the host's database servers can listen on its gateway (scripts/storage-network.sh
 * creates the same network). Looked up on every create (one cheap call), so a network
 * removed behind Berth's back is made again. Returns its id.
 */
export async function ensureNetwork(docker: Docker, name: string, installation: string, subnet: Subnet): Promise<string> {
  const named = async () =>
    (await docker.listNetworks({ filters: { name: [name] } }))
      .filter((n) => n.Name === name)
      .sort((a, b) => a.Created.localeCompare(b.Created) || a.Id.localeCompare(b.Id));
  let networks = await named();
  for (const network of networks.filter((n) => subnetOf(n) !== subnet.cidr)) {
    // From before the subnet was fixed (or set to another): its apps' containers are being
    // replaced anyway, as their spec changed with it, and join the new network.
    await drop(docker, network.Id);
  }
  networks = (await named()).filter((n) => subnetOf(n) === subnet.cidr);
  if (networks.length === 0) {
    try {
      await docker.createNetwork({
        Name: name,
        Driver: 'bridge',
        CheckDuplicate: true,
        Labels: { [LABEL.installation]: installation },
        Options: { 'com.docker.network.bridge.enable_icc': 'false' },
        IPAM: { Driver: 'default', Config: [{ Subnet: subnet.cidr, Gateway: subnet.gateway }] },
      });
    } catch (err) {
      // Another worker made it a moment ago (the engine refuses a second network on the same subnet).
      networks = await named();
      if (networks.length === 0) throw new Error(`cannot create the apps network ${name} on ${subnet.cidr}: ${describeDockerError(err)}`);
    }
    networks = await named();
  }
  return networks[0].Id;
}

function subnetOf(network: Docker.NetworkInspectInfo): string | undefined {
  return network.IPAM?.Config?.[0]?.Subnet;
}

async function drop(docker: Docker, id: string): Promise<void> {
  const network = docker.getNetwork(id);
  const info = (await network.inspect()) as Docker.NetworkInspectInfo;
  for (const container of Object.keys(info.Containers ?? {})) {
    await network.disconnect({ Container: container, Force: true }).catch(() => undefined);
  }
  await network.remove().catch(() => undefined);
}
