import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash } from 'node:crypto';
import { DataSource } from 'typeorm';
import { App, AppStatus } from '../apps/entities/app.entity.js';
import { allocatePort } from '../apps/port-allocator.js';
import { BerthConfig } from '../config/config.js';
import { CONFIG } from '../config/config.module.js';
import { AppEnvironment } from '../app-config/app-environment.js';
import { appSecretMask } from '../app-config/app-secret-mask.js';
import { AppContainerSpec, CONTAINER_DRIVER, ContainerDriver, HostPortTakenError, NODE_UNREACHABLE } from '../containers/container-driver.js';
import { copyLogs } from '../logs/log-lines.js';
import { LogStore } from '../logs/log-store.js';
import { Plan } from '../plans/plan.entity.js';
import { Placement } from '../nodes/placement.js';

const PORT_TRIES = 3;
const SETTLE_MS = 500;
const KEEP_LOGS_MS = 10_000;

export const STOPPED_MESSAGE = 'stopped: the container is removed, the data in /srv is kept';

export interface Converged {
  status: AppStatus;
  /** What was done or found, for the operation's message. */
  message: string;
  /** The operation failed though the app runs (a release that did not deploy): it ends in error, the app keeps its status. */
  failed?: boolean;
}

/**
 * The container an app should have now; its hash changes with anything that needs a new
 * container. `env` is the app's config (AppEnvironment): what it holds is not part of the hash,
 * which is a label anyone with Docker access reads; the config version to apply is.
 */
export function containerSpec(app: App, plan: Plan, config: BerthConfig, env: Record<string, string> = {}): AppContainerSpec {
  const fields = {
    image: app.image,
    memoryMb: plan.ram,
    cpuPercent: plan.cpuQuota,
    pidsLimit: config.docker.pidsLimit,
    appPort: app.appPort,
    hostPort: app.hostPort,
    diskMb: plan.disk * 1024,
    env: { PORT: String(app.appPort) },
    hosts: storageHosts(config),
  };
  // Apps whose config never changed keep the hash they had before configs existed: no container is replaced by an upgrade.
  const specHash = createHash('sha256')
    .update(JSON.stringify({ ...fields, rebuild: app.rebuildGeneration, ...(app.configTargetVersion > 0 ? { config: app.configTargetVersion } : {}) }))
    .digest('hex')
    .slice(0, 16);
  // Berth's own variables last: the config API refuses their names, and they win regardless.
  // Where it runs is not in the hash either: a single-engine installation's containers stay as they are when apps get placed.
  return { appId: app.id, companyId: app.companyId, ...fields, env: { ...env, PORT: String(app.appPort) }, node: app.node ?? '', specHash };
}

/** The storages' app-facing names, for every container's /etc/hosts (where DNS does not resolve them). */
function storageHosts(config: BerthConfig): Record<string, string> {
  const hosts: Record<string, string> = {};
  for (const server of [config.storages.pgsql, config.storages.mariadb]) {
    if (server.address !== null) hosts[server.host] = server.address;
  }
  return hosts;
}

/**
 * Brings one app's container and volume in line with its row: observe Docker,
 * act on the difference only. Running it again right after changes nothing.
 */
@Injectable()
export class AppConverger {
  private readonly logger = new Logger('app-converger');

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(CONFIG) private readonly config: BerthConfig,
    @Inject(CONTAINER_DRIVER) private readonly driver: ContainerDriver,
    private readonly environment: AppEnvironment,
    private readonly logs: LogStore,
    private readonly placement: Placement,
  ) {}

  async converge(app: App): Promise<Converged> {
    if (app.deleting) {
      await this.driver.remove(app.id);
      await this.driver.removeVolume(app.id);
      await this.logs.drop(app.id);
      return { status: 'deleting', message: 'container and data removed' };
    }
    const plan = await this.db.getRepository(Plan).findOneByOrFail({ id: app.planId });
    await this.placement.nodeFor(app);
    // Moved to another node (a drain): a stopped app's data moves too.
    const moved = app.dataNode && app.dataNode !== app.node ? await this.move(app, plan) : '';
    if (!app.enabled) {
      await this.keepLogs(app.id);
      await this.driver.remove(app.id);
      return { status: 'stopped', message: moved ? `${moved}; ${STOPPED_MESSAGE}` : STOPPED_MESSAGE };
    }
    let spec = containerSpec(app, plan, this.config);
    const current = await this.driver.inspect(app.id);
    // Its node is away: there is nothing to act on, and acting elsewhere would lose /srv. A drain moves it.
    if (current?.nodeDown) throw new Error(`${NODE_UNREACHABLE} (node ${current.node}); the change applies once the node is back`);
    // A volume that is not in place (a host that rebooted) needs the container made again over it.
    const outdated = current !== null && (current.specHash !== spec.specHash || !current.volumeReady || current.node !== spec.node);
    const restartDue = app.restartGeneration > app.restartedGeneration;
    let done: string;
    if (!current || outdated) {
      // Read now, with its version: the container gets the config stored at this moment. Before
      // the old container goes, so that a config that cannot be opened leaves the app running.
      const environment = await this.environment.load(app.id);
      if (outdated) {
        await this.keepLogs(app.id);
        await this.driver.remove(app.id);
      }
      let note: string | undefined;
      ({ spec, note } = await this.createOnFreePort(app, plan, containerSpec(app, plan, this.config, environment.env), environment.env));
      await this.db.getRepository(App).update({ id: app.id }, { configRunningVersion: environment.version });
      done = outdated ? 'container replaced and running' : 'container created and running';
      if (moved) done = `${moved}; ${done}`;
      if (note) done += `; ${note}`;
    } else if (!current.running) {
      await this.driver.start(app.id);
      done = 'container started';
    } else if (restartDue) {
      await this.driver.restart(app.id);
      done = 'restarted';
    } else {
      done = 'running';
    }
    if (restartDue) {
      // Recorded after the fact: a retry after a crash restarts at most once more, never forever.
      await this.db.getRepository(App).update({ id: app.id }, { restartedGeneration: app.restartGeneration });
    }
    // Only what was just (re)started can die at once: a container found running and left alone is not waited on.
    if (done !== 'running') await this.assertRunning(app.id);
    const where = this.config.cluster.driver === 'docker' ? this.config.docker.publishAddress : `node ${spec.node}`;
    return { status: 'running', message: `${done}; port ${app.appPort} published on ${where}:${spec.hostPort}` };
  }

  /**
   * Takes the app from the node holding its /srv to the one it is placed on: its container goes,
   * /srv is copied across, and only then is the new node recorded as holding it. Each step can be
   * run again after a crash.
   */
  private async move(app: App, plan: Plan): Promise<string> {
    const from = app.dataNode!;
    await this.keepLogs(app.id);
    await this.driver.remove(app.id);
    await this.driver.moveVolume(app.id, from, app.node!, plan.disk * 1024, app.image);
    await this.db.getRepository(App).update({ id: app.id }, { dataNode: app.node });
    app.dataNode = app.node;
    return `moved from node ${from} to node ${app.node} with /srv`;
  }

  /**
   * Stores what the container printed that the collector has not stored yet: its output goes with
   * it, and the app's log history must not. Best effort: a log store that is down does not keep an
   * app from stopping.
   */
  private async keepLogs(appId: number): Promise<void> {
    const signal = AbortSignal.timeout(KEEP_LOGS_MS);
    await appSecretMask(this.environment, appId, this.driver)
      .then((mask) => copyLogs(this.driver, this.logs, appId, mask, false, signal))
      .catch((err: Error) => this.logger.warn({ appId }, `the container's last output could not be stored: ${err.message}`));
  }

  /** Creates the container; when something outside Berth holds its host port, moves the app to another one. */
  private async createOnFreePort(app: App, plan: Plan, spec: AppContainerSpec, env: Record<string, string>): Promise<{ spec: AppContainerSpec; note?: string }> {
    const taken: number[] = [];
    for (let attempt = 1; ; attempt++) {
      try {
        const { note } = await this.driver.create(spec);
        return { spec, note };
      } catch (err) {
        if (!(err instanceof HostPortTakenError) || attempt >= PORT_TRIES) throw err;
        taken.push(err.hostPort);
        app.hostPort = await this.db.transaction(async (tx) => {
          const port = await allocatePort(tx, 'host_port', this.config.docker.appPorts, taken);
          await tx.getRepository(App).update({ id: app.id }, { hostPort: port });
          return port;
        });
        this.logger.warn({ appId: app.id, taken: err.hostPort, port: app.hostPort }, 'host port taken outside Berth; moved the app');
        spec = containerSpec(app, plan, this.config, env);
      }
    }
  }

  /** A container that dies at once (a broken image, say) must fail the operation, not pass it. */
  private async assertRunning(appId: number): Promise<void> {
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    const observed = await this.driver.inspect(appId);
    if (!observed?.running) {
      const why = observed?.error || (observed ? `${observed.state}, exit code ${observed.exitCode}` : 'gone');
      throw new Error(`the container does not stay running (${why})`);
    }
  }
}
