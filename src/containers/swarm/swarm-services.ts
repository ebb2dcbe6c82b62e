import type Docker from 'dockerode';
import { isNotFound } from '../docker/docker-errors.js';
import { TaskInfo, currentTask, portTaken, settled } from './swarm-service.js';
import type { SwarmNode } from './swarm-nodes.js';

const SETTLE_TIMEOUT_MS = 90_000;
const GONE_TIMEOUT_MS = 30_000;
const POLL_MS = 200;
// Swarm names a task's container after its service and labels it so.
export const SERVICE_NAME_LABEL = 'com.docker.swarm.service.name';

export interface ServiceInfo {
  ID: string;
  Version: { Index: number };
  Spec: { Name: string; Labels?: Record<string, string>; TaskTemplate?: { ForceUpdate?: number; ContainerSpec?: { Env?: string[] }; Networks?: unknown[] } & Record<string, unknown> } & Record<string, unknown>;
}

/**
 * An update's options as docker-modem takes them: the version in the query, the spec as the body
 * (by default it puts every option in the query too: a long environment would not fit in a URL).
 */
export function versioned(version: number, spec: Record<string, unknown>): never {
  return { _query: { version }, _body: spec } as never;
}

/** Apps' services as the Swarm manager keeps them, and the waits their changes need. */
export class SwarmServices {
  constructor(private readonly manager: Docker) {}

  async find(name: string): Promise<ServiceInfo | null> {
    try {
      return (await this.manager.getService(name).inspect()) as ServiceInfo;
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  async tasks(service: string): Promise<TaskInfo[]> {
    return (await this.manager.listTasks({ filters: { service: [service] } })) as TaskInfo[];
  }

  /** A new task for the service, as `docker service update --force`: waits until it runs or fails. */
  async replaceTask(service: ServiceInfo): Promise<void> {
    const spec = { ...service.Spec, TaskTemplate: { ...service.Spec.TaskTemplate, ForceUpdate: (service.Spec.TaskTemplate?.ForceUpdate ?? 0) + 1 } };
    await this.manager.getService(service.ID).update(versioned(service.Version.Index, spec));
    await this.settle(service.Spec.Name, service.Version.Index);
  }

  /** Waits until the service's newest task (newer than `afterIndex`) runs or has ended, or the scheduler says its port is taken. */
  async settle(name: string, afterIndex = 0): Promise<TaskInfo | null> {
    const deadline = Date.now() + SETTLE_TIMEOUT_MS;
    for (;;) {
      const task = currentTask(await this.tasks(name));
      const fresh = task !== null && (task.Version?.Index ?? 0) > afterIndex;
      if (fresh && (settled(task) || portTaken(task))) return task;
      if (Date.now() > deadline) throw new Error(`the Swarm did not start ${name} within ${SETTLE_TIMEOUT_MS / 1000} s (${task?.Status?.State ?? 'no task'}${task?.Status?.Err ? `: ${task.Status.Err}` : ''})`);
      await sleep();
    }
  }

  /**
   * Removes the service and returns once its containers are gone from `node` and the manager has let
   * go of its tasks: until then the node holds the volume and the scheduler the host port. The node
   * would stop the containers gracefully first; their output is already kept (the converger stores it
   * before a remove), so they are ended at once, as one engine's forced remove does.
   */
  async remove(service: ServiceInfo, node: SwarmNode | null): Promise<void> {
    await this.manager
      .getService(service.ID)
      .remove()
      .catch((err) => {
        if (!isNotFound(err)) throw err;
      });
    if (node?.engine && node.state === 'ready') {
      const engine = node.engine.control;
      await until(`the containers of ${service.Spec.Name} to leave node ${node.name}`, async () => {
        const left = await engine.listContainers({ all: true, filters: { label: [`${SERVICE_NAME_LABEL}=${service.Spec.Name}`] } });
        // 404: gone meanwhile; 409: the node is removing it already.
        await Promise.all(left.map((c) => engine.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
        return left.length === 0;
      });
    }
    await until(`the Swarm to forget the tasks of ${service.Spec.Name}`, async () => !((await this.manager.listTasks()) as Array<{ ServiceID: string }>).some((t) => t.ServiceID === service.ID));
  }
}

const sleep = () => new Promise((r) => setTimeout(r, POLL_MS));

async function until(what: string, done: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + GONE_TIMEOUT_MS;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${GONE_TIMEOUT_MS / 1000} s waiting for ${what}`);
    await sleep();
  }
}
