import Docker from 'dockerode';
import { within } from '../../common/within.js';
import type { DockerConfig } from '../../config/config.js';
import {
  AppContainerSpec,
  ContainerDriver,
  ContainerEngineUnavailableError,
  ContainerSpecError,
  ContainerSummary,
  ExecOptions,
  ExecSession,
  HostPortTakenError,
  ObservedContainer,
} from '../container-driver.js';
import { runToEnd, startExec } from './docker-exec.js';
import { describeDockerError, isNotFound, isUnavailable } from './docker-errors.js';

const CONTROL_TIMEOUT_MS = 60_000;
const PING_TIMEOUT_MS = 2000;
const STOP_GRACE_S = 10;

export const LABEL = {
  installation: 'berth.installation',
  app: 'berth.app',
  company: 'berth.company',
  spec: 'berth.spec',
} as const;

function engineOptions(host: string, timeout?: number): Docker.DockerOptions {
  if (host.startsWith('unix://')) return { socketPath: host.slice('unix://'.length), timeout };
  const url = new URL(host.replace(/^tcp:/, 'http:'));
  return { host: url.hostname, port: Number(url.port), protocol: 'http', timeout };
}

/** One container per app, named and labelled after the installation and the app, with a named volume at /srv. */
export class DockerDriver implements ContainerDriver {
  // Control calls get a timeout; exec streams must not (an idle SSH shell would be cut).
  private readonly docker: Docker;
  private readonly streams: Docker;

  constructor(private readonly config: DockerConfig) {
    this.docker = new Docker(engineOptions(config.host, CONTROL_TIMEOUT_MS));
    this.streams = new Docker(engineOptions(config.host));
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

  async inspect(appId: number): Promise<ObservedContainer | null> {
    return this.call(async () => {
      try {
        return observe(await this.docker.getContainer(this.containerName(appId)).inspect());
      } catch (err) {
        if (isNotFound(err)) return null;
        throw err;
      }
    });
  }

  async list(): Promise<ContainerSummary[]> {
    return this.call(async () => {
      const found = await this.docker.listContainers({ all: true, filters: { label: [`${LABEL.installation}=${this.config.namePrefix}`] } });
      return found.map((c) => ({ appId: Number(c.Labels[LABEL.app]), running: c.State === 'running', state: c.State, specHash: c.Labels[LABEL.spec] ?? '' }));
    });
  }

  async create(spec: AppContainerSpec): Promise<void> {
    await this.call(async () => {
      // There may be no registry to pull it from: say so instead of failing on a pull.
      const hasImage = await this.docker.getImage(spec.image).inspect().then(() => true, (err) => (isNotFound(err) ? false : Promise.reject(err)));
      if (!hasImage) {
        throw new ContainerSpecError(`image ${spec.image} is not on the Docker host (build it with scripts/build-runtimes.sh)`);
      }
      const network = await this.ensureNetwork();
      const labels = this.labels(spec.appId, spec.companyId);
      await this.docker.createVolume({ Name: this.volumeName(spec.appId), Labels: labels });
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
    await this.call(() => this.docker.getVolume(this.volumeName(appId)).remove().catch(ignoreStatus(404)));
  }

  async memoryUsageMb(appId: number): Promise<number> {
    return this.call(async () => {
      const stats = (await this.docker.getContainer(this.containerName(appId)).stats({ stream: false, 'one-shot': true } as never)) as unknown as {
        memory_stats?: { usage?: number; stats?: Record<string, number> };
      };
      const memory = stats.memory_stats ?? {};
      // What `docker stats` shows: page cache the kernel can drop is not the app's.
      const cache = memory.stats?.inactive_file ?? memory.stats?.total_inactive_file ?? memory.stats?.cache ?? 0;
      return Math.max(0, ((memory.usage ?? 0) - cache) / (1024 * 1024));
    });
  }

  async exec(appId: number, argv: string[], options: ExecOptions = {}): Promise<ExecSession> {
    return this.call(() => startExec(this.streams.getContainer(this.containerName(appId)), argv, options));
  }

  async run(appId: number, argv: string[], timeoutMs: number): Promise<{ exitCode: number | null; stdout: string; stderr: string }> {
    return runToEnd(await this.exec(appId, argv), argv[0], timeoutMs);
  }

  private labels(appId: number, companyId: number): Record<string, string> {
    return { [LABEL.installation]: this.config.namePrefix, [LABEL.app]: String(appId), [LABEL.company]: String(companyId) };
  }

  /**
   * Apps get a network of their own with inter-container traffic switched off:
   * one tenant's container cannot reach another's over the bridge. Two workers
   * may create it at once (the engine does not refuse a second network of the
   * same name): all agree on the oldest, and the others are removed. Looked up
   * on every create (one cheap call), so a network removed behind Berth's back is made again.
   */
  private async ensureNetwork(): Promise<string> {
    const named = async () =>
      (await this.docker.listNetworks({ filters: { name: [this.networkName] } }))
        .filter((n) => n.Name === this.networkName)
        .sort((a, b) => a.Created.localeCompare(b.Created) || a.Id.localeCompare(b.Id));
    let networks = await named();
    if (networks.length === 0) {
      await this.docker.createNetwork({
        Name: this.networkName,
        Driver: 'bridge',
        CheckDuplicate: true,
        Labels: { [LABEL.installation]: this.config.namePrefix },
        Options: { 'com.docker.network.bridge.enable_icc': 'false' },
      });
      networks = await named();
    }
    for (const extra of networks.slice(1)) await this.docker.getNetwork(extra.Id).remove().catch(() => undefined);
    return networks[0].Id;
  }

  /** Engine connection failures become ContainerEngineUnavailableError; the rest pass through. */
  private async call<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      if (err instanceof ContainerSpecError || err instanceof HostPortTakenError || err instanceof ContainerEngineUnavailableError) throw err;
      if (isUnavailable(err)) throw new ContainerEngineUnavailableError(`the Docker engine is unavailable: ${describeDockerError(err)}`);
      throw new Error(describeDockerError(err));
    }
  }
}

function ignoreStatus(status: number) {
  return (err: unknown) => {
    if ((err as { statusCode?: number }).statusCode === status) return undefined;
    throw err;
  };
}

function observe(info: Docker.ContainerInspectInfo): ObservedContainer {
  const state = info.State;
  return {
    appId: Number(info.Config.Labels?.[LABEL.app]),
    running: state.Running,
    state: state.Status,
    specHash: info.Config.Labels?.[LABEL.spec] ?? '',
    exitCode: state.ExitCode,
    oomKilled: state.OOMKilled,
    error: state.Error ?? '',
  };
}
