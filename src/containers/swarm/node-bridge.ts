import type Docker from 'dockerode';
import { ContainerSpecError } from '../container-driver.js';
import { isNotFound } from '../docker/docker-errors.js';

const ICC = 'com.docker.network.bridge.enable_icc';

/**
 * Apps on a Swarm run on their node's default bridge (see serviceSpec), so that bridge is where one
 * tenant's container is kept from another's: the node's engine must run with inter-container
 * traffic off ("icc": false in daemon.json). A node that lets them talk gets no app: that would
 * open every app on it to its neighbours. Asked at each create, so an engine reconfigured since is
 * seen at once.
 */
export async function assertContainersApart(engine: Docker, node: string): Promise<void> {
  const info = (await engine
    .getNetwork('bridge')
    .inspect()
    .catch((err) => (isNotFound(err) ? null : Promise.reject(err)))) as { Options?: Record<string, string> } | null;
  if (!info) throw new ContainerSpecError(`node ${node} has no default bridge for its apps (its engine runs with "bridge": "none"): see docs/multi-node.md`);
  if (info.Options?.[ICC] !== 'false') {
    throw new ContainerSpecError(`node ${node} lets the containers on its default bridge reach each other: run its engine with "icc": false (docs/multi-node.md)`);
  }
}
