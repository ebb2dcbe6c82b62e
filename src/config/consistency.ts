// Checks across variables that each read fine alone, and what the configuration derives.
import { readFileSync } from 'node:fs';
import type { BerthConfig, PortRange } from './config.js';

/** Every problem no single variable shows: ranges and ports that clash, limits that contradict. */
export function inconsistencies(config: BerthConfig): string[] {
  const problems = portClashes(config);
  if (config.pagination.defaultLimit > config.pagination.maxLimit) {
    problems.push(`PAGE_LIMIT_DEFAULT (${config.pagination.defaultLimit}) is above PAGE_LIMIT_MAX (${config.pagination.maxLimit}): a list without ?limit= would ask for more than is allowed`);
  }
  if (config.roles.includes('node') && !config.cluster.nodeName) problems.push('BERTH_ROLES has node, which needs NODE_NAME: the name of the Swarm node it runs on (its berth.node label)');
  if (config.roles.includes('node') && config.volumes.quota === 'off') problems.push("BERTH_ROLES has node, which makes apps' quota'd /srv images: it needs DISK_QUOTA=loop");
  const { appConfig } = config;
  if (appConfig.secretsPreviousKey && !appConfig.secretsKey) {
    problems.push('SECRETS_KEY_PREVIOUS is set without SECRETS_KEY: a rotation needs the new key in SECRETS_KEY');
  }
  if (appConfig.valueMaxBytes > appConfig.totalMaxBytes) {
    problems.push(`CONFIG_VALUE_MAX_BYTES (${appConfig.valueMaxBytes}) is above CONFIG_TOTAL_MAX_BYTES (${appConfig.totalMaxBytes})`);
  }
  return problems;
}

/**
 * Ports that would be handed out twice: an app's web port equal to another app's SSH
 * port, or to a port the API or the edge listens on, breaks whichever binds second.
 */
function portClashes(config: BerthConfig): string[] {
  const ranges = [
    { name: 'APP_PORTS', ...config.docker.appPorts },
    { name: 'SSH_PORTS', ...config.ssh.ports },
  ];
  const show = (r: PortRange) => `${r.from}-${r.to}`;
  const clashes: string[] = [];
  const [apps, ssh] = ranges;
  if (apps.from <= ssh.to && ssh.from <= apps.to) {
    clashes.push(`APP_PORTS (${show(apps)}) and SSH_PORTS (${show(ssh)}) overlap: an app's web port could be another app's SSH port`);
  }
  const listeners = [{ name: 'PORT', port: config.port, on: config.roles.includes('api') }];
  if (config.edge.router === 'caddy' && config.roles.includes('edge')) {
    listeners.push({ name: 'EDGE_HTTP_PORT', port: config.edge.httpPort, on: true }, { name: 'EDGE_HTTPS_PORT', port: config.edge.httpsPort, on: true });
  }
  for (const l of listeners.filter((x) => x.on && x.port !== 0)) {
    for (const r of ranges.filter((x) => x.from <= l.port && l.port <= x.to)) {
      clashes.push(`${l.name} (${l.port}) lies in ${r.name} (${show(r)}): an app could be given the same port`);
    }
  }
  return clashes;
}

/** The version in package.json. */
// Source (src/config) and build (dist/src/config) sit at different depths: walk up.
export function packageVersion(): string {
  for (let dir = new URL('.', import.meta.url); dir.pathname !== '/'; dir = new URL('..', dir)) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('package.json', dir), 'utf8'));
      if (pkg.name === 'berth') return String(pkg.version);
    } catch {
      // not here; keep walking
    }
  }
  return 'unknown';
}

