import type { AppContainerSpec, ObservedContainer } from '../container-driver.js';
import { LABEL } from '../docker/labels.js';

/** The service label that records which node an app's service is pinned to. */
export const NODE_OF_SERVICE = 'berth.node';
const STOP_GRACE_NS = 10e9;
const MB = 1024 * 1024;

export interface ServiceTarget {
  name: string;
  nodeId: string;
  nodeName: string;
  volume: string;
  labels: Record<string, string>;
}

/**
 * An app's container as a Swarm service of one replica pinned to its node: the same limits,
 * user, read-only root, scratch space and /srv volume the single-engine driver gives it.
 * Swarm publishes the port in host mode, on the node's own addresses (no routing mesh: the edge
 * goes to the node that runs the app).
 *
 * No Swarm network: the task joins its node's default bridge, which Berth requires to keep
 * containers apart (icc off; SwarmDriver checks). A swarm-scoped bridge would do the same, but an
 * engine that stops uncleanly keeps it in its bridge driver's store, and every task that needs it
 * there is then rejected with "network <id> exists" until someone edits that store by hand
 * (moby/moby#37087): a node that crashed would never run its apps again.
 */
export function serviceSpec(spec: AppContainerSpec, target: ServiceTarget): Record<string, unknown> {
  const labels = { ...target.labels, [LABEL.spec]: spec.specHash };
  return {
    Name: target.name,
    Labels: { ...labels, [NODE_OF_SERVICE]: target.nodeName },
    TaskTemplate: {
      ContainerSpec: {
        Image: spec.image,
        User: '1000:1000',
        Hostname: `app-${spec.appId}`,
        Env: Object.entries(spec.env).map(([k, v]) => `${k}=${v}`),
        Labels: labels,
        ReadOnly: true,
        Init: true,
        CapabilityDrop: ['ALL'],
        // Swarm's form of /etc/hosts entries: "address name".
        Hosts: Object.entries(spec.hosts).map(([name, address]) => `${address} ${name}`),
        StopGracePeriod: STOP_GRACE_NS,
        Mounts: [
          { Type: 'volume', Source: target.volume, Target: '/srv' },
          // tmpfs mounts are nosuid and nodev; their size counts against nothing else, so keep them small.
          { Type: 'tmpfs', Target: '/tmp', TmpfsOptions: { SizeBytes: 64 * MB, Mode: 0o1777 } },
          { Type: 'tmpfs', Target: '/var/tmp', TmpfsOptions: { SizeBytes: 16 * MB, Mode: 0o1777 } },
          { Type: 'tmpfs', Target: '/run', TmpfsOptions: { SizeBytes: 16 * MB, Mode: 0o1777 } },
        ],
      },
      Resources: {
        Limits: { NanoCPUs: Math.round((spec.cpuPercent / 100) * 1e9), MemoryBytes: spec.memoryMb * MB, Pids: spec.pidsLimit },
      },
      RestartPolicy: { Condition: 'any', Delay: 1e9 },
      Placement: { Constraints: [`node.id==${target.nodeId}`] },
      LogDriver: { Name: 'json-file', Options: { 'max-size': '10m', 'max-file': '2' } },
    },
    Mode: { Replicated: { Replicas: 1 } },
    // The old task goes before the new one starts: both would hold the volume and the host port.
    UpdateConfig: { Order: 'stop-first', Parallelism: 1, FailureAction: 'continue' },
    // dnsrr: this kernel (and many) has no IPVS for Swarm's virtual IPs; host-mode ports need none.
    EndpointSpec: { Mode: 'dnsrr', Ports: [{ Protocol: 'tcp', TargetPort: spec.appPort, PublishedPort: spec.hostPort, PublishMode: 'host' }] },
  };
}

/**
 * The spec hash a service stands for. A service attached to a Swarm network predates apps on the
 * nodes' default bridges: it counts as outdated, so the converger remakes it without its network.
 */
export function specHashOf(service: { Spec: { Labels?: Record<string, string>; TaskTemplate?: { Networks?: unknown[] } } }): string {
  return service.Spec.TaskTemplate?.Networks?.length ? '' : (service.Spec.Labels?.[LABEL.spec] ?? '');
}

export interface TaskInfo {
  ID: string;
  NodeID?: string;
  DesiredState?: string;
  CreatedAt?: string;
  UpdatedAt?: string;
  Version?: { Index?: number };
  Status?: { State?: string; Err?: string; Message?: string; ContainerStatus?: { ContainerID?: string; ExitCode?: number } };
}

/** The task that stands for the app now: the newest one Swarm wants running, else the newest. */
export function currentTask(tasks: TaskInfo[]): TaskInfo | null {
  const newest = (a: TaskInfo, b: TaskInfo) => (b.Version?.Index ?? 0) - (a.Version?.Index ?? 0) || (b.CreatedAt ?? '').localeCompare(a.CreatedAt ?? '');
  const wanted = tasks.filter((t) => t.DesiredState === 'running').sort(newest);
  return wanted[0] ?? [...tasks].sort(newest)[0] ?? null;
}

const STARTING = new Set(['new', 'allocated', 'pending', 'assigned', 'accepted', 'preparing', 'ready', 'starting']);

/** True once a task will not get any further by waiting: running, or ended. */
export function settled(task: TaskInfo | null): boolean {
  return task !== null && !STARTING.has(task.Status?.State ?? 'new');
}

/** True once a task has stopped for good: Swarm makes a new one rather than start it again. */
export function ended(task: TaskInfo): boolean {
  return ['complete', 'shutdown', 'failed', 'rejected', 'orphaned', 'remove'].includes(task.Status?.State ?? '');
}

/** A host port the scheduler could not give (another service has it) or the node could not bind (another program has it). */
export function portTaken(task: TaskInfo | null): boolean {
  return /host-mode port already in use|address already in use|port is already allocated/i.test(`${task?.Status?.Err ?? ''} ${task?.Status?.Message ?? ''}`);
}

export function observeTask(appId: number, specHash: string, node: string, task: TaskInfo | null, volumeReady: boolean): ObservedContainer {
  const state = task?.Status?.State ?? 'pending';
  return {
    appId,
    running: state === 'running',
    state: state === 'complete' || state === 'shutdown' || state === 'failed' ? 'exited' : state,
    specHash,
    volumeReady,
    node,
    nodeDown: false,
    exitCode: task?.Status?.ContainerStatus?.ExitCode ?? 0,
    oomKilled: false,
    error: task?.Status?.Err ?? '',
    env: {},
  };
}
