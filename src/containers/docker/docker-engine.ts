import Docker from 'dockerode';

// Control calls get a timeout; exec, archive and log streams must not (an idle SSH shell would be cut).
const CONTROL_TIMEOUT_MS = 60_000;

function engineOptions(host: string, timeout?: number): Docker.DockerOptions {
  if (host.startsWith('unix://')) return { socketPath: host.slice('unix://'.length), timeout };
  const url = new URL(host.replace(/^tcp:/, 'http:'));
  return { host: url.hostname, port: Number(url.port), protocol: 'http', timeout };
}

/** One Docker engine as Berth talks to it: a client for control calls and one for streams. */
export class DockerEngine {
  readonly control: Docker;
  readonly streams: Docker;

  constructor(readonly host: string) {
    this.control = new Docker(engineOptions(host, CONTROL_TIMEOUT_MS));
    this.streams = new Docker(engineOptions(host));
  }
}
