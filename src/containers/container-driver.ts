import type { Duplex } from 'node:stream';

/** Injection token of the ContainerDriver the configuration chose. */
export const CONTAINER_DRIVER = Symbol('ContainerDriver');

/** What an app's container must look like; `specHash` changes whenever any of it does. */
export interface AppContainerSpec {
  appId: number;
  companyId: number;
  image: string;
  memoryMb: number;
  /** Percent of one core (200 = two cores). */
  cpuPercent: number;
  pidsLimit: number;
  /** Port the app listens on inside the container. */
  appPort: number;
  /** Host port it is published on, at the driver's publish address. */
  hostPort: number;
  /** Size of /srv in MB, a hard limit where the driver has volume quotas. */
  diskMb: number;
  env: Record<string, string>;
  /** Extra /etc/hosts entries: name → address (the storages' app-facing names). */
  hosts: Record<string, string>;
  /** The node the app is placed on (ContainerNode.name); a single-engine driver has one. */
  node: string;
  specHash: string;
}

/** A machine apps run on, as the driver sees it. */
export interface ContainerNode {
  /** Stable name placements are recorded by. */
  name: string;
  /** `ready` answers; `down` stopped answering (its apps are kept, not moved); `unknown` cannot be told yet. */
  state: 'ready' | 'down' | 'unknown';
  /** New apps may be placed on it: it is labelled to take apps, ready, and not drained. */
  acceptsApps: boolean;
  /** `active`, or `drain` once an operator drains it. */
  availability: string;
  memoryBytes: number;
  cpus: number;
  /** Where its published ports are reached (the edge's upstream host). */
  address: string;
}

/** An app's container as a listing reports it. */
export interface ContainerSummary {
  appId: number;
  running: boolean;
  /** created, running, restarting, exited, dead, ... */
  state: string;
  specHash: string;
  /** False when the app's /srv volume is not there as it should be (not mounted after a reboot, say): the container needs making again. */
  volumeReady: boolean;
  /** The node it is placed on. */
  node: string;
  /** Its node stopped answering: nothing about the container is known, and nothing is done to it until the node is back. */
  nodeDown: boolean;
}

/** What apps-status says of an app whose node stopped answering. */
export const NODE_UNREACHABLE = 'the node running this app is unreachable';

/** An app's container inspected in full: also why it stopped. */
export interface ObservedContainer extends ContainerSummary {
  exitCode: number;
  oomKilled: boolean;
  /** The engine's own error for a container that could not start. */
  error: string;
  /** The environment it was made with, as the engine keeps it (the image's own variables too). */
  env: Record<string, string>;
}

/** An engine's `NAME=value` list as a map. */
export function envOf(list: string[] | undefined): Record<string, string> {
  const env: Record<string, string> = {};
  for (const entry of list ?? []) {
    const at = entry.indexOf('=');
    if (at > 0) env[entry.slice(0, at)] = entry.slice(at + 1);
  }
  return env;
}

/** One line of a container's output, as the engine kept it. */
export interface ContainerLogLine {
  /** When the engine received it: RFC 3339 in UTC with nine digits of fraction, so times compare as strings. */
  time: string;
  stream: 'stdout' | 'stderr';
  /** Without its line end. */
  text: string;
}

/**
 * One reading of a running container's counters. CPU and network are cumulative since the
 * container (re)started: a rate needs two readings of the same `instance`.
 */
export interface ContainerSample {
  /** When the engine read the counters. */
  readAt: Date;
  /** Changes whenever the counters start again from zero (a restart, a new container). */
  instance: string;
  /** CPU time used, in nanoseconds. */
  cpuNs: number;
  /** Cores the container may use (its quota; the host's online cores when it has none). */
  cpuCores: number;
  /** Memory in use, page cache the kernel can drop left out. */
  memoryUsedBytes: number;
  memoryLimitBytes: number;
  netRxBytes: number;
  netTxBytes: number;
  /** Times the engine restarted this container. */
  restartCount: number;
  /** Engine id of the container: a new one means a new container. */
  containerId: string;
  /** Bytes used on /srv; null where the driver cannot tell cheaply (no quota'd volume, or it is not mounted). */
  srvUsedBytes: number | null;
}

export interface ExecOptions {
  /** Run as this user (default: the image's, `app`). */
  user?: string;
  env?: Record<string, string>;
  /** Allocate a pseudo-terminal (interactive shells only: it mangles binary streams). */
  tty?: { rows: number; cols: number; term: string } | null;
  workingDir?: string;
}

/** A process running inside a container, with its streams kept apart. */
export interface ExecSession {
  /** Writes go to the process's stdin; ending it closes stdin. */
  stdin: NodeJS.WritableStream;
  stdout: NodeJS.ReadableStream;
  /** Empty (ends at once) when a tty merges it into stdout. */
  stderr: NodeJS.ReadableStream;
  /** The process's exit code once it has ended (null when the engine could not tell). */
  exit: Promise<number | null>;
  resize(rows: number, cols: number): Promise<void>;
  /** The raw connection, for closing it early. */
  socket: Duplex;
}

/**
 * Runs each app in one container of its own, with a persistent volume at /srv.
 * Every method is idempotent where it can be: asking for what already is succeeds.
 */
export interface ContainerDriver {
  /** Resolves when the engine answers, rejects with the reason otherwise. */
  ping(): Promise<void>;
  /** The machines apps can be placed on. */
  nodes(): Promise<ContainerNode[]>;
  /** `pause`: the node takes no new apps, its own keep running; `drain`: it runs none; `active`: back in service. */
  setNodeAvailability(node: string, availability: 'active' | 'pause' | 'drain'): Promise<void>;
  /** Takes the node out of the cluster for good (the caller has checked it holds no app). */
  removeNode(node: string): Promise<void>;
  /** The app's container, or null when it has none. */
  inspect(appId: number): Promise<ObservedContainer | null>;
  /** Every app container of this installation. */
  list(): Promise<ContainerSummary[]>;
  /**
   * Creates the app's volume (if missing, else brings it to the spec's size) and container
   * from `spec`, and starts it; ContainerSpecError when its image is not on the engine.
   * `note` says what a person should know (a volume that could not shrink, say).
   */
  create(spec: AppContainerSpec): Promise<{ note?: string }>;
  /** Starts the existing container. */
  start(appId: number): Promise<void>;
  /** Restarts the running container in place. */
  restart(appId: number): Promise<void>;
  /** Removes the container (its volume stays); succeeds when there is none. */
  remove(appId: number): Promise<void>;
  /** Removes the app's /srv volume and its data; succeeds when there is none. */
  removeVolume(appId: number): Promise<void>;
  /**
   * Copies the app's /srv from node `from` to node `to` (made there at `diskMb`), streamed through
   * the two engines, then removes it from `from`; done already when only `to` has it. The app must
   * have no container meanwhile. `image` is one both nodes hold (the app's own).
   */
  moveVolume(appId: number, from: string, to: string, diskMb: number, image: string): Promise<void>;
  /** Memory in use now, in MB. */
  memoryUsageMb(appId: number): Promise<number>;
  /** The running container's counters now, without running anything in it; null when it is not running. */
  sample(appId: number): Promise<ContainerSample | null>;
  /** Starts a process in the running container. */
  exec(appId: number, argv: string[], options?: ExecOptions): Promise<ExecSession>;
  /**
   * The container's output from its first line, or after `since` (a line's time), in order; with
   * `follow` it goes on until the container stops or `signal` aborts. Works on a stopped container.
   */
  logs(appId: number, options: { since?: string; follow: boolean; signal: AbortSignal }): AsyncIterable<ContainerLogLine>;
  /**
   * A tar archive (uncompressed) of `path` in the container, as the engine makes it: not a process
   * in the container, so not bounded by the plan's CPU. Links are archived, never followed.
   */
  getArchive(appId: number, path: string): Promise<NodeJS.ReadableStream>;
  /** Runs a short command to completion and collects its output (bounded by `timeoutMs`). */
  run(appId: number, argv: string[], timeoutMs: number): Promise<{ exitCode: number | null; stdout: string; stderr: string }>;
}

/** The engine could not be reached: retrying later may work. */
export class ContainerEngineUnavailableError extends Error {}

/** A failure that retrying cannot fix (an image that is not on the host, say). */
export class ContainerSpecError extends Error {}

/** The host port is taken by something outside Berth. */
export class HostPortTakenError extends Error {
  constructor(readonly hostPort: number, message: string) {
    super(message);
  }
}
