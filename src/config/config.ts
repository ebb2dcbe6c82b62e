// The only place that reads process.env. Everything else receives a BerthConfig.
import { inconsistencies, packageVersion } from './consistency.js';
import { ClusterConfig, readClusterConfig } from './cluster-config.js';
import { LogsConfig, MetricsConfig, readLogsConfig, readMetricsConfig } from './observability-config.js';
import { Env, Reader } from './reader.js';
import { Secret } from './secret.js';

export { Secret };

const secret = <T>(value: T | null): Secret<T> | null => (value === null ? null : new Secret(value));

/** `node` runs on each Swarm node (docs/multi-node.md); `all` is the other four, for one machine. */
export const ROLES = ['api', 'worker', 'ssh', 'edge', 'node'] as const;
export type Role = (typeof ROLES)[number];

export interface BerthConfig {
  version: string;
  roles: Role[];
  host: string;
  port: number;
  databaseUrl: Secret;
  databasePoolSize: number;
  redisUrl: Secret;
  migrationsRun: boolean;
  registrationEnabled: boolean;
  bodyLimitBytes: number;
  logLevel: string;
  /** How long stopping may take before the process exits anyway (a close waiting on a Redis that is gone never ends). */
  shutdownTimeoutMs: number;
  /** How long a verified token or membership may be trusted without asking PostgreSQL. */
  authCacheTtlMs: number;
  trustProxy: boolean;
  rateLimit: {
    /** Requests a token may make per minute, over every API process; 0: no limit. */
    perMinute: number;
    /** Of those, deploy-like changes (releases, rollbacks, app creation and actions); 0: no separate limit. */
    deploysPerMinute: number;
  };
  /** Web origins whose pages may call the API from a browser (CORS); none by default. */
  corsOrigins: string[];
  /** Failed logins allowed per client address in 15 minutes; 0 switches the limit off. */
  loginFailuresPerIp: number;
  /** Registrations allowed per client address in an hour; 0 switches the limit off. */
  registrationsPerIp: number;
  /** Most companies one account may own (each would otherwise bring fresh app and storage quotas). */
  companiesPerAccount: number;
  /** How long an invitation to a company can be accepted. */
  invitationTtlHours: number;
  /** How long a token made by `POST /auth/login` works. */
  loginTokenTtlDays: number;
  pagination: {
    /** Items in a list answer without `?limit=`: Rosti's client never pages, so it must cover what it lists. */
    defaultLimit: number;
    /** The largest `?limit=` a client may ask for; more is a 400. */
    maxLimit: number;
  };
  appConfig: {
    /** Seals secrets (AES-256-GCM); required once any secret exists. */
    secretsKey: Secret<Buffer> | null;
    /** The key before a rotation, still read until `berth secrets:rotate` has re-sealed every secret. */
    secretsPreviousKey: Secret<Buffer> | null;
    /** Largest value of one variable, in bytes of UTF-8. */
    valueMaxBytes: number;
    /** Largest environment of one app: every name and value, in bytes. */
    totalMaxBytes: number;
    /** Versions of an app's config kept in its history; older ones go. */
    versionsKept: number;
  };
  releases: ReleasesConfig;
  cluster: ClusterConfig;
  logs: LogsConfig;
  metrics: MetricsConfig;
  live: {
    /** A heartbeat comment this often keeps proxies from closing an idle stream. */
    heartbeatMs: number;
    /** Live streams a company may hold open at once, over every API process. */
    streamsPerCompany: number;
    /** Bytes a stream's client may leave unread: past them it is sent nothing more until it reads (a log or an operation follower) or dropped. */
    maxBufferedBytes: number;
    /** How long a stream ticket (for a browser's EventSource) opens its stream. */
    ticketTtlMs: number;
  };
  storages: {
    mariadb: StorageServerConfig;
    pgsql: StorageServerConfig;
    /** Most storages one company may have. */
    perCompany: number;
    /** Most storages across all the companies one account owns. */
    perAccount: number;
    /** Most connections one storage user may hold at once, so no tenant can take a server's every connection. */
    connectionsPerUser: number;
  };
  jobs: {
    /** Prefix of the queues' keys in Redis: installations sharing one Redis need different ones. */
    queuePrefix: string;
    /** Tries of a background job before its operation ends in error. */
    attempts: number;
    /** First retry delay; each further retry waits twice as long. */
    backoffMs: number;
    /** How often the worker's sweep looks for work that was lost. */
    sweepIntervalMs: number;
    /** How long a worker's claim on a job lasts without renewal; a killed worker's job is taken over after this. */
    lockMs: number;
  };
  apps: {
    /** Most apps one company may have. */
    perCompany: number;
    /** Most apps across all the companies one account owns. */
    perAccount: number;
    /** Apps without domains get `{name}-{id}.<domain>`. */
    domain: string;
    /** Addresses the platform's domains must resolve to (the edge's public addresses). */
    publicAddresses: string[];
    /** The apps' Docker network: fixed, so the host's database servers can listen on its gateway. */
    subnet: Subnet;
    /** Resolvers tenants' domains are looked up with (DNS checks, domain verification); empty: the host's. */
    dnsResolvers: string[];
  };
  volumes: VolumesConfig;
  docker: DockerConfig;
  ssh: {
    /** Host name shown in apps' `ssh_access`: where people point their SSH clients. */
    hostname: string;
    /** Ports the gateway gives apps' SSH endpoints, one each. */
    ports: PortRange;
    /** Address the gateway listens on. */
    listenAddress: string;
    /** A connection that has not authenticated by then is closed. */
    authTimeoutMs: number;
    /** Authentication requests allowed on one connection (all but the first `none`); the last one that fails closes it. */
    maxAuthTries: number;
    /** Failed authentications allowed per client address in 10 minutes; then its connections are refused. 0: no limit. */
    failuresPerIp: number;
    /** How often the gateway reads the apps to open and close their ports, and closes connections whose access was taken away. */
    syncIntervalMs: number;
    /** Connections not yet logged in allowed per client address (IPv6: per /64), over all endpoints of one gateway process. */
    unauthenticatedPerIp: number;
    /** Connections not yet logged in allowed in all on one gateway process; past either cap a new one is closed at once. */
    unauthenticatedMax: number;
    /** A logged-in connection without channel traffic for this long is closed. */
    idleTimeoutMs: number;
  };
  edge: EdgeConfig;
}

export interface EdgeConfig {
  /** `caddy`: Berth keeps a Caddy's routes in step with the apps; `off`: no edge (apps are reached on their published ports). */
  router: 'caddy' | 'off';
  /** Caddy's admin API; the edge role starts a Caddy there when none answers. */
  caddyAdminUrl: string;
  /** Ports the edge serves HTTP and HTTPS on, also what redirects and ACME use. */
  httpPort: number;
  httpsPort: number;
  /** Address the edge listens on; empty: every address. */
  listenAddress: string;
  /** ACME directory certificates come from, or `internal` for Caddy's own CA (tests, private installations). */
  acmeCa: string;
  acmeEmail: string;
  /** PEM file of the root that signs the ACME directory's own HTTPS certificate (a private CA); empty: the system's roots. */
  acmeCaRoot: string;
  /** How often the edge role checks the certificates of HTTPS names (a TLS handshake each while not yet issued). */
  certCheckIntervalMs: number;
  startCaddy: boolean;
  caddyBin: string;
  /** Where a Caddy started by Berth keeps certificates and its log. */
  caddyDataDir: string;
  /**
   * How long the edge retries a request an app could not take (its programs restarting in a
   * deploy, say) before answering 502: connections refused always, others for GET only. 0: never.
   */
  upstreamRetryMs: number;
  /** Host name the edge serves Berth's own API at (HTTPS like an https+le app); empty: not served by the edge. */
  apiHost: string;
}

export interface ReleasesConfig {
  /** This host's copies of the release archives its API took (the archives are in the database); see HostCopies. */
  hostDir: string;
  /**
   * How often a process holding copies (an API or a worker) checks them against the database: a
   * copy of an archive that a process on another host pruned goes at the next check.
   */
  hostCheckEveryMs: number;
  /** Largest archive a deploy may upload, in bytes; the plan's disk bounds it too. */
  archiveMaxBytes: number;
  /** Largest tree an archive may unpack to, in bytes; the plan's disk bounds it too. */
  unpackedMaxBytes: number;
  /** Most entries (files, directories, links) in one archive. */
  entriesMax: number;
  /** Releases kept per app; older ones are pruned (never the active one or its predecessor). */
  kept: number;
  /** Most bytes of archives kept per app; pruning starts from the oldest past it. */
  keptMaxBytes: number;
  /** How long a new release has to answer HTTP on its port before it is rolled back. */
  healthTimeoutMs: number;
  /** How long the release command of berth.json may run. */
  commandTimeoutMs: number;
}

export interface DockerConfig {
  /** Where the Docker engine listens: `unix:///path` or `tcp://host:port`. */
  host: string;
  /** Names and labels of this installation's containers, volumes and network start with it. */
  namePrefix: string;
  /** Host address app ports are published on. */
  publishAddress: string;
  /** Host ports Berth allocates to apps' published ports. */
  appPorts: PortRange;
  /** Most processes in one app container. */
  pidsLimit: number;
}

export interface VolumesConfig {
  /** `loop`: each app's /srv is a filesystem image of the plan's size (a hard quota); `off`: a plain Docker volume, no quota. */
  quota: 'loop' | 'off';
  /** Where the images and their mount points live (on the Docker engine's host). */
  dir: string;
}

export interface Subnet {
  /** CIDR, like 10.210.0.0/16. */
  cidr: string;
  /** Its first address, the host's end of the network. */
  gateway: string;
}

export interface PortRange {
  from: number;
  to: number;
}

export interface StorageServerConfig {
  /** Admin connection Berth creates databases and users through. */
  adminUrl: Secret;
  /** The app-facing name storage reads give, which apps connect to (pgsql.berth.internal). */
  host: string;
  port: number;
  /** The address `host` resolves to inside app containers (written to their /etc/hosts); null: DNS resolves it. */
  address: string | null;
}

export class ConfigError extends Error {
  constructor(public readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
}

/** Reads and validates the environment once; collects every problem before failing. */
export function loadConfig(env: Env = process.env): BerthConfig {
  const problems: string[] = [];
  const read = new Reader(env, problems);
  const subnet = read.subnet('APPS_SUBNET', '10.210.0.0/16');
  const config: BerthConfig = {
    version: packageVersion(),
    roles: read.roles('BERTH_ROLES', 'all'),
    host: read.string('HOST', '0.0.0.0'),
    port: read.int('PORT', 3000, 0, 65535),
    databaseUrl: new Secret(read.url('DATABASE_URL', 'postgres://postgres@127.0.0.1:5432/berth', ['postgres:', 'postgresql:'])),
    databasePoolSize: read.int('DATABASE_POOL_SIZE', 16, 1, 500),
    redisUrl: new Secret(read.url('REDIS_URL', 'redis://127.0.0.1:6379', ['redis:', 'rediss:'])),
    migrationsRun: read.bool('MIGRATIONS_RUN', true),
    registrationEnabled: read.bool('REGISTRATION_ENABLED', true),
    bodyLimitBytes: read.size('BODY_LIMIT', '1mb'),
    logLevel: read.oneOf('LOG_LEVEL', 'info', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
    shutdownTimeoutMs: read.int('SHUTDOWN_TIMEOUT_MS', 30_000, 1000, 3_600_000),
    authCacheTtlMs: read.int('AUTH_CACHE_TTL_MS', 1000, 0, 1000),
    trustProxy: read.bool('TRUST_PROXY', false),
    corsOrigins: read.origins('CORS_ORIGINS'),
    rateLimit: {
      perMinute: read.int('RATE_LIMIT_PER_MINUTE', 100, 0, 100_000_000),
      deploysPerMinute: read.int('RATE_LIMIT_DEPLOYS_PER_MINUTE', 10, 0, 100_000_000),
    },
    loginFailuresPerIp: read.int('LOGIN_FAILURES_PER_IP', 30, 0, 1_000_000),
    registrationsPerIp: read.int('REGISTRATIONS_PER_IP', 20, 0, 1_000_000),
    companiesPerAccount: read.int('COMPANIES_PER_ACCOUNT', 5, 1, 100_000),
    invitationTtlHours: read.int('INVITATION_TTL_HOURS', 168, 1, 24 * 365),
    loginTokenTtlDays: read.int('LOGIN_TOKEN_TTL_DAYS', 30, 1, 3650),
    pagination: {
      defaultLimit: read.int('PAGE_LIMIT_DEFAULT', 100, 1, 10_000),
      maxLimit: read.int('PAGE_LIMIT_MAX', 500, 1, 10_000),
    },
    appConfig: {
      secretsKey: secret(read.key256('SECRETS_KEY')),
      secretsPreviousKey: secret(read.key256('SECRETS_KEY_PREVIOUS')),
      valueMaxBytes: read.int('CONFIG_VALUE_MAX_BYTES', 32 * 1024, 1, 1024 * 1024),
      totalMaxBytes: read.int('CONFIG_TOTAL_MAX_BYTES', 128 * 1024, 1024, 1024 * 1024),
      versionsKept: read.int('CONFIG_VERSIONS_KEPT', 100, 1, 100_000),
    },
    releases: {
      hostDir: read.matching('RELEASES_DIR', '/var/lib/berth/releases', /^\/[^\0]*[^/]$/, 'an absolute path'),
      hostCheckEveryMs: read.int('RELEASES_HOST_CHECK_EVERY_MS', 3_600_000, 1000, 7 * 24 * 3_600_000),
      archiveMaxBytes: read.size('RELEASE_ARCHIVE_MAX', '256mb', 1024, 64 * 1024 ** 3),
      unpackedMaxBytes: read.size('RELEASE_UNPACKED_MAX', '1gb', 1024, 256 * 1024 ** 3),
      entriesMax: read.int('RELEASE_ENTRIES_MAX', 200_000, 1, 10_000_000),
      kept: read.int('RELEASES_KEPT', 10, 2, 1000),
      keptMaxBytes: read.size('RELEASES_KEPT_MAX', '2gb', 1024 * 1024, 1024 ** 4),
      healthTimeoutMs: read.int('RELEASE_HEALTH_TIMEOUT_MS', 60_000, 500, 3_600_000),
      commandTimeoutMs: read.int('RELEASE_COMMAND_TIMEOUT_MS', 600_000, 1000, 24 * 3_600_000),
    },
    cluster: readClusterConfig(read),
    logs: readLogsConfig(read),
    metrics: readMetricsConfig(read),
    live: {
      heartbeatMs: read.int('LIVE_HEARTBEAT_MS', 15_000, 100, 300_000),
      streamsPerCompany: read.int('LIVE_STREAMS_PER_COMPANY', 10, 1, 10_000),
      maxBufferedBytes: read.size('LIVE_BUFFER_MAX', '256kb'),
      ticketTtlMs: read.int('STREAM_TICKET_TTL_MS', 60_000, 1000, 3_600_000),
    },
    storages: {
      mariadb: read.storageServer('STORAGE_MARIADB', 'mysql://root@127.0.0.1:3306', ['mysql:', 'mariadb:'], 3306, 'mariadb.berth.internal', subnet.gateway),
      pgsql: read.storageServer('STORAGE_PGSQL', 'postgres://postgres@127.0.0.1:5432/postgres', ['postgres:', 'postgresql:'], 5432, 'pgsql.berth.internal', subnet.gateway),
      perCompany: read.int('STORAGES_PER_COMPANY', 20, 0, 100_000),
      perAccount: read.int('STORAGES_PER_ACCOUNT', 40, 0, 1_000_000),
      connectionsPerUser: read.int('STORAGE_CONNECTIONS_PER_USER', 20, 1, 10_000),
    },
    jobs: {
      queuePrefix: read.string('QUEUE_PREFIX', 'berth'),
      attempts: read.int('JOB_ATTEMPTS', 5, 1, 100),
      backoffMs: read.int('JOB_BACKOFF_MS', 2000, 10, 3_600_000),
      sweepIntervalMs: read.int('SWEEP_INTERVAL_MS', 30_000, 100, 3_600_000),
      lockMs: read.int('JOB_LOCK_MS', 30_000, 1000, 600_000),
    },
    apps: {
      perCompany: read.int('APPS_PER_COMPANY', 50, 0, 100_000),
      perAccount: read.int('APPS_PER_ACCOUNT', 100, 0, 1_000_000),
      domain: read.hostname('APPS_DOMAIN', 'apps.localhost'),
      publicAddresses: read.addresses('PUBLIC_ADDRESSES', '127.0.0.1,::1'),
      subnet,
      dnsResolvers: read.servers('DNS_RESOLVERS'),
    },
    volumes: {
      quota: read.oneOf('DISK_QUOTA', 'loop', ['loop', 'off']),
      dir: read.matching('VOLUMES_DIR', '/var/lib/berth/volumes', /^\/[^\0]*[^/]$/, 'an absolute path'),
    },
    docker: {
      host: read.dockerHost('DOCKER_HOST', 'unix:///var/run/docker.sock'),
      namePrefix: read.matching('DOCKER_NAME_PREFIX', 'berth', /^[a-z][a-z0-9-]{0,29}$/, 'lower-case letters, digits and dashes, starting with a letter, at most 30'),
      publishAddress: read.addresses('APP_PUBLISH_ADDRESS', '127.0.0.1')[0],
      // Apart from SSH_PORTS, and below 32768 where Linux picks ephemeral ports for outgoing connections.
      appPorts: read.portRange('APP_PORTS', '24000-31999'),
      pidsLimit: read.int('APP_PIDS_LIMIT', 512, 16, 1_000_000),
    },
    ssh: {
      hostname: read.hostname('SSH_HOSTNAME', 'localhost'),
      ports: read.portRange('SSH_PORTS', '22000-23999'),
      listenAddress: read.addresses('SSH_LISTEN_ADDRESS', '0.0.0.0')[0],
      authTimeoutMs: read.int('SSH_AUTH_TIMEOUT_MS', 30_000, 500, 600_000),
      maxAuthTries: read.int('SSH_MAX_AUTH_TRIES', 6, 1, 100),
      failuresPerIp: read.int('SSH_FAILURES_PER_IP', 30, 0, 1_000_000),
      syncIntervalMs: read.int('SSH_SYNC_INTERVAL_MS', 2000, 100, 600_000),
      unauthenticatedPerIp: read.int('SSH_UNAUTHENTICATED_PER_IP', 10, 1, 100_000),
      unauthenticatedMax: read.int('SSH_UNAUTHENTICATED_MAX', 200, 1, 1_000_000),
      idleTimeoutMs: read.int('SSH_IDLE_TIMEOUT_MS', 30 * 60_000, 1000, 7 * 24 * 3_600_000),
    },
    edge: {
      router: read.oneOf('EDGE_ROUTER', 'caddy', ['caddy', 'off']),
      caddyAdminUrl: read.url('CADDY_ADMIN_URL', 'http://127.0.0.1:2019', ['http:']),
      httpPort: read.int('EDGE_HTTP_PORT', 80, 1, 65535),
      httpsPort: read.int('EDGE_HTTPS_PORT', 443, 1, 65535),
      listenAddress: read.matching('EDGE_LISTEN_ADDRESS', '', /^$|^[0-9a-fA-F:.]+$/, 'an IP address, or empty for every address'),
      acmeCa: read.matching('ACME_CA', 'https://acme-v02.api.letsencrypt.org/directory', /^internal$|^https?:\/\/\S+$/, 'an ACME directory URL or "internal"'),
      acmeEmail: read.string('ACME_EMAIL', ''),
      acmeCaRoot: read.string('ACME_CA_ROOT', ''),
      certCheckIntervalMs: read.int('EDGE_CERT_CHECK_MS', 5000, 100, 3_600_000),
      startCaddy: read.bool('EDGE_START_CADDY', true),
      caddyBin: read.string('CADDY_BIN', 'caddy'),
      caddyDataDir: read.string('CADDY_DATA_DIR', '/var/lib/berth/caddy'),
      apiHost: read.optionalHostname('EDGE_API_HOST'),
      upstreamRetryMs: read.int('EDGE_UPSTREAM_RETRY_MS', 5000, 0, 60_000),
    },
  };
  problems.push(...inconsistencies(config));
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}
