import Docker from 'dockerode';
import { within } from '../../common/within.js';
import type { DockerConfig, Subnet } from '../../config/config.js';
import {
  AppContainerSpec,
  ContainerDriver,
  ContainerLogLine,
  ContainerNode,
  ContainerSample,
  ContainerSpecError,
  ContainerSummary,
  ExecOptions,
  ExecSession,
  HostPortTakenError,
  ObservedContainer,
  envOf,
} from '../container-driver.js';
import type { VolumeStore } from '../volumes/volume-store.js';
import { runToEnd, startExec } from './docker-exec.js';
import { containerLogs } from './docker-logs.js';
import { describeDockerError, engineFailure, found, isNotFound } from './docker-errors.js';
import { memoryUsedBytes, readSample, readStats } from './docker-stats.js';
import { ensureNetwork } from './docker-network.js';
import { DockerEngine } from './docker-engine.js';
import { DockerVolumes } from './docker-volumes.js';
import { LABEL } from './labels.js';

const PING_TIMEOUT_MS = 2000;
const ENGINE_DOWN = 'the Docker engine is unavailable';
/** The one engine's node: every app is placed on it. */
export const LOCAL_NODE = 'local';
const STOP_GRACE_S = 10;
// The root filesystem is read-only: these are the only other places a tenant can write,
// in memory the container's limit already counts.
const SCRATCH = 'rw,nosuid,nodev,mode=1777';
const TMPFS = { '/tmp': `${SCRATCH},size=64m`, '/var/tmp': `${SCRATCH},size=16m`, '/run': `${SCRATCH},size=16m` };

/** One container per app, named and labelled after the installation and the app, with a named volume at /srv. */
export class DockerDriver implements ContainerDriver {
  // Control calls get a timeout; exec streams must not (an idle SSH shell would be cut).
  private readonly docker: Docker;
  private readonly streams: Docker;
  private readonly volumes: DockerVolumes;
  private size?: Promise<{ memoryBytes: number; cpus: number }>;

  constructor(
    private readonly config: DockerConfig,
    private readonly subnet: Subnet,
    store: VolumeStore | null,
  ) {
    const engine = new DockerEngine(config.host);
    this.docker = engine.control;
    this.streams = engine.streams;
    this.volumes = new DockerVolumes(this.docker, store);
  }

  containerName(appId: number): string {
    return `${this.config.namePrefix}-app-${appId}`;
  }

  volumeName(appId: number): string {
    return `${this.config.namePrefix}-app-${appId}-srv`;
  }

  get networkName(): string {
    return `${this.config.namePrefix}-apps`;
  }

  async ping(): Promise<void> {
    await this.call(() => within(this.docker.ping(), PING_TIMEOUT_MS, 'the Docker engine'));
  }

  async nodes(): Promise<ContainerNode[]> {
    const up = await this.ping().then(() => true, () => false);
    // The machine's size does not change while Berth runs; `docker info` is slow (it counts everything): asked once.
    this.size ??= this.docker.info().then((info: { MemTotal: number; NCPU: number }) => ({ memoryBytes: info.MemTotal, cpus: info.NCPU }));
    this.size.catch(() => (this.size = undefined));
    const size = up ? await this.size.catch(() => ({ memoryBytes: 0, cpus: 0 })) : { memoryBytes: 0, cpus: 0 };
    return [{ name: LOCAL_NODE, state: up ? 'ready' : 'down', acceptsApps: up, availability: 'active', ...size, address: this.config.publishAddress }];
  }

  async inspect(appId: number): Promise<ObservedContainer | null> {
    return this.call(async () => {
      try {
        const info = await this.docker.getContainer(this.containerName(appId)).inspect();
        return observe(info, (await this.volumes.readiness())(this.volumeName(appId)));
      } catch (err) {
        if (isNotFound(err)) return null;
        throw err;
      }
    });
  }

  async list(): Promise<ContainerSummary[]> {
    return this.call(async () => {
      const [found, ready] = await Promise.all([
        this.docker.listContainers({ all: true, filters: { label: [`${LABEL.installation}=${this.config.namePrefix}`] } }),
        this.volumes.readiness(),
      ]);
      return found.map((c) => {
        const appId = Number(c.Labels[LABEL.app]);
        return { appId, running: c.State === 'running', state: c.State, specHash: c.Labels[LABEL.spec] ?? '', volumeReady: ready(this.volumeName(appId)), node: LOCAL_NODE, nodeDown: false };
      });
    });
  }

  async create(spec: AppContainerSpec): Promise<{ note?: string }> {
    return this.call(async () => {
      // There may be no registry to pull it from: say so instead of failing on a pull.
      const hasImage = await found(this.docker.getImage(spec.image).inspect());
      if (!hasImage) {
        throw new ContainerSpecError(`image ${spec.image} is not on the Docker host (build it with scripts/build-runtimes.sh)`);
      }
      const network = await ensureNetwork(this.docker, this.networkName, this.config.namePrefix, this.subnet);
      const labels = this.labels(spec.appId, spec.companyId);
      const volume = await this.volumes.ensure(this.volumeName(spec.appId), labels, spec.diskMb);
      const port = `${spec.appPort}/tcp`;
      const options: Docker.ContainerCreateOptions = {
        name: this.containerName(spec.appId),
        Image: spec.image,
        // The image runs as app too; saying it here keeps a careless runtime image from running as root.
        User: '1000:1000',
        Hostname: `app-${spec.appId}`,
        Env: Object.entries(spec.env).map(([k, v]) => `${k}=${v}`),
        Labels: { ...labels, [LABEL.spec]: spec.specHash },
        ExposedPorts: { [port]: {} },
        HostConfig: {
          Memory: spec.memoryMb * 1024 * 1024,
          MemorySwap: spec.memoryMb * 1024 * 1024,
          NanoCpus: Math.round((spec.cpuPercent / 100) * 1e9),
          PidsLimit: spec.pidsLimit,
          // supervisord and the tenant's programs run as app: no capability is needed.
          CapDrop: ['ALL'],
          // Only /srv (of the plan's size) and small scratch space take writes: nothing else can fill the host.
          ReadonlyRootfs: true,
          Tmpfs: TMPFS,
          ExtraHosts: Object.entries(spec.hosts).map(([name, address]) => `${name}:${address}`),
          SecurityOpt: ['no-new-privileges'],
          Privileged: false,
          PortBindings: { [port]: [{ HostIp: this.config.publishAddress, HostPort: String(spec.hostPort) }] },
          Mounts: [{ Type: 'volume', Source: this.volumeName(spec.appId), Target: '/srv' }],
          RestartPolicy: { Name: 'unless-stopped' },
          // Docker's init as PID 1 passes signals on. supervisord as PID 1 ignored a SIGTERM that came
          // before its handlers were set, so a stop right after a start waited out the whole grace period.
          Init: true,
          NetworkMode: network,
          LogConfig: { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '2' } },
        },
      };
      let container: Docker.Container;
      try {
        container = await this.docker.createContainer(options);
      } catch (err) {
        if ((err as { statusCode?: number }).statusCode !== 409) throw err;
        // A container of that name survived a crash between create and start: replace it.
        await this.remove(spec.appId);
        container = await this.docker.createContainer(options);
      }
      try {
        await container.start();
      } catch (err) {
        const message = describeDockerError(err);
        if (/port is already allocated|address already in use/i.test(message)) {
          await container.remove({ force: true }).catch(() => undefined);
          throw new HostPortTakenError(spec.hostPort, `host port ${spec.hostPort} is taken by another program`);
        }
        throw err;
      }
      return volume;
    });
  }

  async start(appId: number): Promise<void> {
    await this.call(() => this.docker.getContainer(this.containerName(appId)).start().catch(ignoreStatus(304)));
  }

  async restart(appId: number): Promise<void> {
    await this.call(() => this.docker.getContainer(this.containerName(appId)).restart({ t: STOP_GRACE_S }));
  }

  async remove(appId: number): Promise<void> {
    await this.call(() => this.docker.getContainer(this.containerName(appId)).remove({ force: true }).catch(ignoreStatus(404)));
  }

  async removeVolume(appId: number): Promise<void> {
    await this.call(() => this.volumes.remove(this.volumeName(appId)));
  }

  async setNodeAvailability(node: string): Promise<void> {
    throw new ContainerSpecError(`node ${node}: this installation runs apps on one Docker engine; nodes come with CONTAINER_DRIVER=swarm`);
  }

  async removeNode(node: string): Promise<void> {
    await this.setNodeAvailability(node);
  }

  async moveVolume(_appId: number, from: string, to: string): Promise<void> {
    // One engine is one node: there is nowhere to move to.
    if (from !== LOCAL_NODE || to !== LOCAL_NODE) throw new ContainerSpecError(`there is no node ${from === LOCAL_NODE ? to : from}: this installation runs apps on one Docker engine (node ${LOCAL_NODE})`);
  }

  async memoryUsageMb(appId: number): Promise<number> {
    return this.call(async () => memoryUsedBytes(await readStats(this.docker.getContainer(this.containerName(appId)))) / (1024 * 1024));
  }

  async sample(appId: number): Promise<ContainerSample | null> {
    return this.call(() => readSample(this.docker.getContainer(this.containerName(appId)), () => this.volumes.usedBytes(this.volumeName(appId))));
  }

  async exec(appId: number, argv: string[], options: ExecOptions = {}): Promise<ExecSession> {
    return this.call(() => startExec(this.streams.getContainer(this.containerName(appId)), argv, options));
  }

  async getArchive(appId: number, path: string): Promise<NodeJS.ReadableStream> {
    return this.call(() => this.streams.getContainer(this.containerName(appId)).getArchive({ path }) as Promise<NodeJS.ReadableStream>);
  }

  logs(appId: number, options: { since?: string; follow: boolean; signal: AbortSignal }): AsyncIterable<ContainerLogLine> {
    // The streaming client: a follow lasts as long as the container runs.
    return containerLogs(this.streams.getContainer(this.containerName(appId)), options);
  }

  async run(appId: number, argv: string[], timeoutMs: number): Promise<{ exitCode: number | null; stdout: string; stderr: string }> {
    return runToEnd(await this.exec(appId, argv), argv[0], timeoutMs);
  }

  private labels(appId: number, companyId: number): Record<string, string> {
    return { [LABEL.installation]: this.config.namePrefix, [LABEL.app]: String(appId), [LABEL.company]: String(companyId) };
  }

  /** Engine connection failures become ContainerEngineUnavailableError; the rest pass through. */
  private async call<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      throw engineFailure(err, ENGINE_DOWN);
    }
  }
}

function ignoreStatus(status: number) {
  return (err: unknown) => {
    if ((err as { statusCode?: number }).statusCode === status) return undefined;
    throw err;
  };
}

function observe(info: Docker.ContainerInspectInfo, volumeReady: boolean): ObservedContainer {
  const state = info.State;
  return {
    appId: Number(info.Config.Labels?.[LABEL.app]),
    running: state.Running,
    state: state.Status,
    specHash: info.Config.Labels?.[LABEL.spec] ?? '',
    volumeReady,
    node: LOCAL_NODE,
    nodeDown: false,
    exitCode: state.ExitCode,
    oomKilled: state.OOMKilled,
    error: state.Error ?? '',
    env: envOf(info.Config.Env),
  };
}
