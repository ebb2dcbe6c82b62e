import type Docker from 'dockerode';
import { within } from '../../common/within.js';
import type { DockerConfig } from '../../config/config.js';
import {
  AppContainerSpec,
  ContainerDriver,
  ContainerEngineUnavailableError,
  ContainerLogLine,
  ContainerNode,
  ContainerSample,
  ContainerSpecError,
  ContainerSummary,
  ExecOptions,
  ExecSession,
  HostPortTakenError,
  NODE_UNREACHABLE,
  ObservedContainer,
  envOf,
} from '../container-driver.js';
import type { VolumeStore } from '../volumes/volume-store.js';
import { DockerEngine } from '../docker/docker-engine.js';
import { engineFailure, found } from '../docker/docker-errors.js';
import { runToEnd, startExec } from '../docker/docker-exec.js';
import { containerLogs } from '../docker/docker-logs.js';
import { memoryUsedBytes, readSample, readStats } from '../docker/docker-stats.js';
import { DockerVolumes } from '../docker/docker-volumes.js';
import { LABEL } from '../docker/labels.js';
import { assertContainersApart } from './node-bridge.js';
import { SERVICE_NAME_LABEL, ServiceInfo, SwarmServices, versioned } from './swarm-services.js';
import { copyVolume } from './volume-copy.js';
import { NODE_OF_SERVICE, TaskInfo, currentTask, ended, observeTask, portTaken, serviceSpec, specHashOf } from './swarm-service.js';
import { setHeartbeat, SwarmNode, SwarmNodes } from './swarm-nodes.js';

const PING_TIMEOUT_MS = 2000;

/**
 * Apps as Swarm services of one replica, each pinned to the node Berth placed it on, its /srv a
 * volume on that node. Scheduling, restarts and node health come from the Swarm manager;
 * everything inside a container (exec, archives, logs, counters) goes to the node's own engine.
 */
export class SwarmDriver implements ContainerDriver {
  /** Each node's /srv store, made on first use and kept: it may hold connections (AgentVolumeStore's Redis). */
  private readonly stores = new Map<string, VolumeStore | null>();
  private readonly manager: DockerEngine;
  private readonly services: SwarmServices;
  private readonly nodeList: SwarmNodes;

  constructor(
    managerHost: string,
    private readonly config: DockerConfig,
    /** Makes a node's /srv store: volumes live on the node their app runs on. */
    private readonly makeStore: (node: string) => VolumeStore | null,
  ) {
    this.manager = new DockerEngine(managerHost);
    this.nodeList = new SwarmNodes(this.manager.control);
    this.services = new SwarmServices(this.manager.control);
  }

  /** Nest calls it when the process stops. */
  async onModuleDestroy(): Promise<void> {
    await Promise.all([...this.stores.values()].map((store) => store?.close?.().catch(() => undefined)));
  }

  private store(node: string): VolumeStore | null {
    if (!this.stores.has(node)) this.stores.set(node, this.makeStore(node));
    return this.stores.get(node)!;
  }

  serviceName(appId: number): string {
    return `${this.config.namePrefix}-app-${appId}`;
  }

  volumeName(appId: number): string {
    return `${this.config.namePrefix}-app-${appId}-srv`;
  }

  async ping(): Promise<void> {
    await this.call(async () => {
      await within(this.manager.control.ping(), PING_TIMEOUT_MS, 'the Swarm manager');
      // Only a manager answers for the Swarm: a worker's engine or a lone engine says so here.
      await within(this.manager.control.swarmInspect(), PING_TIMEOUT_MS, 'the Swarm manager');
    });
  }

  /** See setHeartbeat. */
  async heartbeat(seconds: number): Promise<void> {
    await this.call(() => setHeartbeat(this.manager.control, seconds));
  }

  async nodes(): Promise<ContainerNode[]> {
    return this.call(async () => (await this.nodeList.all()).map(({ id: _id, engine: _engine, ...node }) => node));
  }

  async setNodeAvailability(name: string, availability: 'active' | 'pause' | 'drain'): Promise<void> {
    await this.call(async () => {
      const node = await this.nodeNamed(name);
      const info = (await this.manager.control.getNode(node.id).inspect()) as { Version: { Index: number }; Spec: Record<string, unknown> };
      await this.manager.control.getNode(node.id).update(versioned(info.Version.Index, { ...info.Spec, Availability: availability }));
      this.nodeList.refresh();
    });
  }

  async removeNode(name: string): Promise<void> {
    await this.call(async () => {
      const node = await this.nodeNamed(name);
      // Forced: a node that still answers would otherwise have to leave the Swarm by itself first.
      await this.manager.control.getNode(node.id).remove({ force: true });
      this.nodeList.refresh();
    });
  }

  async inspect(appId: number): Promise<ObservedContainer | null> {
    return this.call(async () => {
      const service = await this.service(appId);
      if (!service) return null;
      const nodeName = service.Spec.Labels?.[NODE_OF_SERVICE] ?? '';
      const specHash = specHashOf(service);
      const env = envOf(service.Spec.TaskTemplate?.ContainerSpec?.Env);
      const node = await this.nodeList.byName(nodeName);
      if (!node || node.state !== 'ready' || !node.engine) {
        // Nothing is decided about an app whose node is away: it is reported, not replaced.
        return { ...observeTask(appId, specHash, nodeName, null, true), state: 'unknown', nodeDown: true, error: NODE_UNREACHABLE, env };
      }
      const task = currentTask(await this.services.tasks(service.Spec.Name));
      const observed = { ...observeTask(appId, specHash, nodeName, task, await this.volumeReady(node, appId)), env };
      const containerId = task?.Status?.ContainerStatus?.ContainerID;
      if (!observed.running && containerId) {
        const info = await node.engine.control.getContainer(containerId).inspect().catch(() => null);
        observed.oomKilled = info?.State.OOMKilled ?? false;
      }
      return observed;
    });
  }

  async list(): Promise<ContainerSummary[]> {
    return this.call(async () => {
      const docker = this.manager.control;
      const [services, tasks, nodes] = await Promise.all([
        docker.listServices({ filters: { label: [`${LABEL.installation}=${this.config.namePrefix}`] } }) as unknown as Promise<ServiceInfo[]>,
        docker.listTasks({ filters: { 'desired-state': ['running'] } }) as Promise<Array<TaskInfo & { ServiceID: string }>>,
        this.nodeList.all(),
      ]);
      // Only the nodes that run apps are asked (a manager that takes none has no agent), and one that
      // cannot say is taken as ready: a volume is remade only when it is known to be missing.
      const mounted = new Map<string, Set<string> | null>();
      for (const name of new Set(services.map((s) => s.Spec.Labels?.[NODE_OF_SERVICE] ?? ''))) {
        const node = nodes.find((n) => n.name === name);
        mounted.set(name, node?.state === 'ready' ? ((await this.store(name)?.mounted().catch(() => null)) ?? null) : null);
      }
      return services.map((service) => {
        const appId = Number(service.Spec.Labels?.[LABEL.app]);
        const task = currentTask(tasks.filter((t) => t.ServiceID === service.ID));
        const node = service.Spec.Labels?.[NODE_OF_SERVICE] ?? '';
        const { running, state, specHash } = observeTask(appId, specHashOf(service), node, task, true);
        const onNode = mounted.get(node);
        const down = nodes.find((n) => n.name === node)?.state !== 'ready';
        if (down) return { appId, running: false, state: 'unknown', specHash, node, volumeReady: true, nodeDown: true };
        return { appId, running, state, specHash, node, volumeReady: onNode ? onNode.has(this.volumeName(appId)) : true, nodeDown: false };
      });
    });
  }

  async create(spec: AppContainerSpec): Promise<{ note?: string }> {
    return this.call(async () => {
      const node = await this.readyNode(spec.node);
      const engine = node.engine.control;
      // There may be no registry to pull it from: each node must hold the image itself.
      const hasImage = await found(engine.getImage(spec.image).inspect());
      if (!hasImage) throw new ContainerSpecError(`image ${spec.image} is not on node ${node.name} (load it there: docs/multi-node.md)`);
      const labels = { [LABEL.installation]: this.config.namePrefix, [LABEL.app]: String(spec.appId), [LABEL.company]: String(spec.companyId) };
      await assertContainersApart(engine, node.name);
      const volume = await this.volumes(node).ensure(this.volumeName(spec.appId), labels, spec.diskMb);
      const name = this.serviceName(spec.appId);
      const body = serviceSpec(spec, { name, nodeId: node.id, nodeName: node.name, volume: this.volumeName(spec.appId), labels });
      try {
        await this.manager.control.createService(body);
      } catch (err) {
        if ((err as { statusCode?: number }).statusCode !== 409) throw err;
        // A service of that name survived a crash between create and the record: replace it.
        await this.remove(spec.appId);
        await this.manager.control.createService(body);
      }
      const task = await this.services.settle(name);
      if (portTaken(task)) {
        await this.remove(spec.appId);
        throw new HostPortTakenError(spec.hostPort, `host port ${spec.hostPort} is taken on node ${node.name}`);
      }
      return volume;
    });
  }

  /** Waits for a task Swarm is starting already (a node that came back, say); only an ended one is replaced. */
  async start(appId: number): Promise<void> {
    await this.call(async () => {
      const name = this.serviceName(appId);
      const task = currentTask(await this.services.tasks(name));
      if (task?.DesiredState === 'running' && !ended(task)) await this.services.settle(name);
      else await this.replaceTask(appId);
    });
  }

  /** Swarm has no restart in place: the task is replaced (same node, same /srv), as `docker service update --force` does. */
  async restart(appId: number): Promise<void> {
    await this.call(() => this.replaceTask(appId));
  }

  private async replaceTask(appId: number): Promise<void> {
    const service = await this.service(appId);
    if (!service) throw new Error(`app ${appId} has no container`);
    await this.services.replaceTask(service);
  }

  async remove(appId: number): Promise<void> {
    await this.call(async () => {
      const service = await this.service(appId);
      if (service) await this.services.remove(service, await this.nodeList.byName(service.Spec.Labels?.[NODE_OF_SERVICE] ?? ''));
    });
  }

  /** On every node that has the volume, or takes apps (a store's image may be there without it): not on a manager that takes none. */
  async removeVolume(appId: number): Promise<void> {
    await this.call(async () => {
      const volume = this.volumeName(appId);
      for (const node of await this.nodeList.all()) {
        if (!node.engine || node.state !== 'ready') continue;
        if (node.acceptsApps || (await found(node.engine.control.getVolume(volume).inspect()))) await this.volumes(node).remove(volume);
      }
    });
  }

  async moveVolume(appId: number, from: string, to: string, diskMb: number, image: string): Promise<void> {
    await this.call(async () => {
      const volume = this.volumeName(appId);
      const [source, target] = [await this.readyNode(from), await this.readyNode(to)];
      const has = (node: SwarmNode) => found(node.engine!.control.getVolume(volume).inspect());
      if (!(await has(source))) {
        if (await has(target)) return; // moved already: only the record was left to make
        throw new Error(`the /srv of app ${appId} is on neither node ${from} nor node ${to}`);
      }
      const labels = { [LABEL.installation]: this.config.namePrefix, [LABEL.app]: String(appId) };
      // What a copy cut short left on the target goes: the copy starts from an empty volume.
      await this.volumes(target).remove(volume);
      await this.volumes(target).ensure(volume, labels, diskMb);
      const helper = `${this.config.namePrefix}-app-${appId}-move`;
      await copyVolume({ engine: source.engine!, container: helper }, { engine: target.engine!, container: helper }, volume, image, labels);
      await this.volumes(source).remove(volume);
    });
  }

  async memoryUsageMb(appId: number): Promise<number> {
    return this.call(async () => memoryUsedBytes(await readStats((await this.container(appId, true)).control)) / (1024 * 1024));
  }

  async sample(appId: number): Promise<ContainerSample | null> {
    return this.call(async () => {
      const found = await this.container(appId, true).catch((err) => (err instanceof NoContainerError ? null : Promise.reject(err)));
      return found ? readSample(found.control, () => this.volumes(found.node).usedBytes(this.volumeName(appId))) : null;
    });
  }

  async exec(appId: number, argv: string[], options: ExecOptions = {}): Promise<ExecSession> {
    return this.call(async () => startExec((await this.container(appId, true)).stream, argv, options));
  }

  async getArchive(appId: number, path: string): Promise<NodeJS.ReadableStream> {
    return this.call(async () => (await this.container(appId, true)).stream.getArchive({ path }) as Promise<NodeJS.ReadableStream>);
  }

  logs(appId: number, options: { since?: string; follow: boolean; signal: AbortSignal }): AsyncIterable<ContainerLogLine> {
    const container = () => this.call(() => this.container(appId, false));
    return (async function* () {
      yield* containerLogs((await container()).stream, options);
    })();
  }

  async run(appId: number, argv: string[], timeoutMs: number): Promise<{ exitCode: number | null; stdout: string; stderr: string }> {
    return runToEnd(await this.exec(appId, argv), argv[0], timeoutMs);
  }

  private service(appId: number): Promise<ServiceInfo | null> {
    return this.services.find(this.serviceName(appId));
  }

  private async nodeNamed(name: string): Promise<SwarmNode> {
    const node = await this.nodeList.byName(name);
    if (!node) throw new ContainerSpecError(`node ${name} is not in the Swarm`);
    return node;
  }

  private async readyNode(name: string): Promise<SwarmNode & { engine: DockerEngine }> {
    const node = await this.nodeList.byName(name);
    if (!node) throw new ContainerSpecError(`node ${name} is not in the Swarm`);
    if (node.state !== 'ready' || !node.engine) throw new ContainerEngineUnavailableError(`node ${name} is ${node.engine ? node.state : 'missing its berth.engine label'}`);
    return node as SwarmNode & { engine: DockerEngine };
  }

  private volumes(node: SwarmNode): DockerVolumes {
    return new DockerVolumes(node.engine!.control, this.store(node.name));
  }

  private async volumeReady(node: SwarmNode, appId: number): Promise<boolean> {
    const store = this.store(node.name);
    if (store) return (await store.mounted()).has(this.volumeName(appId));
    return found(node.engine!.control.getVolume(this.volumeName(appId)).inspect());
  }

  /** The app's newest container (its running one with `running`) on its node's engine, with a control and a streaming client. */
  private async container(appId: number, running: boolean): Promise<{ node: SwarmNode; control: Docker.Container; stream: Docker.Container }> {
    const service = await this.service(appId);
    if (!service) throw new NoContainerError(`app ${appId} has no container`);
    const node = await this.nodeList.byName(service.Spec.Labels?.[NODE_OF_SERVICE] ?? '');
    if (!node?.engine || node.state !== 'ready') throw new ContainerEngineUnavailableError(NODE_UNREACHABLE);
    const found = await node.engine.control.listContainers({ all: !running, filters: { label: [`${SERVICE_NAME_LABEL}=${service.Spec.Name}`] } });
    const newest = found.sort((a, b) => b.Created - a.Created)[0];
    if (!newest) throw new NoContainerError(`app ${appId} has no ${running ? 'running ' : ''}container`);
    return { node, control: node.engine.control.getContainer(newest.Id), stream: node.engine.streams.getContainer(newest.Id) };
  }

  /** Engine connection failures become ContainerEngineUnavailableError; the rest pass through. */
  private async call<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      throw err instanceof NoContainerError ? err : engineFailure(err, 'the Swarm is unavailable');
    }
  }
}

/** The app has no container (of the kind asked for) on its node. */
class NoContainerError extends Error {}
