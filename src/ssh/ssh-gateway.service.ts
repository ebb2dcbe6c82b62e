import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createServer, Server } from 'node:net';
import ssh2, { type Algorithms } from 'ssh2';
import { DataSource } from 'typeorm';
import { App } from '../apps/entities/app.entity.js';
import { every, Periodic } from '../common/periodic.js';
import { RateLimiter } from '../common/rate-limit/rate-limiter.js';
import { BerthConfig } from '../config/config.js';
import { CONFIG } from '../config/config.module.js';
import { CONTAINER_DRIVER, ContainerDriver } from '../containers/container-driver.js';
import { Admission, Admitted } from './ssh-admission.js';
import { loadAccesses, revocation, SIGNATURE_ALGORITHMS } from './ssh-access.js';
import { LiveConnection, serveConnection } from './ssh-connection.js';
import { listenProblem, SshEndpointProblems } from './ssh-endpoint-problems.js';
import { SshHostKeys } from './ssh-host-keys.service.js';
import { announceSignatureAlgorithms, verifySsh2Workarounds } from './ssh2-workarounds.js';

/**
 * Modern algorithms only: no SHA-1 anywhere (no ssh-rsa host key, no hmac-sha1, no
 * group1/group14-sha1 key exchange). Key exchange is curve25519 or ECDH only: finite-field
 * Diffie-Hellman (groups 14-18) lets any client make the gateway spend 17-45 ms of CPU per
 * handshake, before authentication, on the event loop it shares with the API.
 * chacha20-poly1305 is left out because without ssh2's native binding it runs in
 * JavaScript, far slower than AES-GCM.
 */
export const ALGORITHMS: Algorithms = {
  kex: ['curve25519-sha256', 'curve25519-sha256@libssh.org', 'ecdh-sha2-nistp256', 'ecdh-sha2-nistp384', 'ecdh-sha2-nistp521'],
  serverHostKey: ['ssh-ed25519'],
  cipher: ['aes128-gcm@openssh.com', 'aes256-gcm@openssh.com', 'aes128-ctr', 'aes192-ctr', 'aes256-ctr'],
  hmac: ['hmac-sha2-256-etm@openssh.com', 'hmac-sha2-512-etm@openssh.com', 'hmac-sha2-256', 'hmac-sha2-512'],
  compress: ['none', 'zlib@openssh.com', 'zlib'],
};

interface Endpoint {
  port: number;
  listener: Server;
  ssh: ssh2.Server;
  /** Sockets this endpoint took, by the client's address and port: how ssh2's announcement of a connection finds its socket. */
  accepted: Map<string, Admitted>;
  connections: Set<LiveConnection>;
}

const peer = (ip: string | undefined, port: number | undefined) => `${ip}|${port}`;

/**
 * The SSH gateway role: one listening port per app (from SSH_PORTS, recorded on the
 * app), kept in step with the database every SSH_SYNC_INTERVAL_MS, so new apps, key
 * changes and deletions take effect without a restart; the same sync closes live
 * connections whose access was taken away.
 */
@Injectable()
export class SshGateway implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('ssh-gateway');
  private readonly endpoints = new Map<number, Endpoint>();
  /** Apps whose port could not be listened on, with what was reported. */
  private readonly unlistenable = new Map<number, string>();
  private readonly admission: Admission;
  private hostKey = '';
  private loop?: Periodic;
  private stopping = false;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(CONFIG) private readonly config: BerthConfig,
    @Inject(CONTAINER_DRIVER) private readonly driver: ContainerDriver,
    private readonly hostKeys: SshHostKeys,
    private readonly limiter: RateLimiter,
    private readonly problems: SshEndpointProblems,
  ) {
    // One for every endpoint of this process: the caps are per address and in all, not per app.
    this.admission = new Admission(config, this.logger);
  }

  async onModuleInit(): Promise<void> {
    // Before any endpoint listens: an ssh2 that changed under the workarounds stops the gateway.
    verifySsh2Workarounds();
    this.hostKey = (await this.hostKeys.ensure()).privateKey;
    await this.sync().catch((err: Error) => this.logger.warn(`sync: ${err.message}`));
    this.loop = every(this.config.ssh.syncIntervalMs, () => this.sync(), (err) => this.logger.warn(`sync: ${err.message}`));
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    this.loop?.stop();
    await Promise.all([...this.endpoints.keys()].map((id) => this.close(id, 'the gateway is shutting down')));
  }

  /**
   * Opens the endpoints of apps that have none, closes those of apps that are gone or
   * being deleted, and closes connections whose access was taken away.
   */
  async sync(): Promise<void> {
    // On a node, only the apps placed there: an app that moved away has its endpoint closed here and opened on its new node.
    const node = this.config.cluster.nodeName;
    const apps = await this.db.getRepository(App).find({ select: { id: true, sshPort: true }, where: { deleting: false, ...(node ? { node } : {}) } });
    const wanted = new Map(apps.map((a) => [a.id, a.sshPort]));
    for (const [appId, endpoint] of this.endpoints) {
      if (wanted.get(appId) !== endpoint.port) await this.close(appId, wanted.has(appId) ? 'the app\'s SSH port changed' : node ? 'the app was deleted or moved to another node' : 'the app was deleted');
    }
    for (const appId of this.unlistenable.keys()) {
      if (!wanted.has(appId)) {
        this.unlistenable.delete(appId);
        await this.problems.clear(appId).catch(() => undefined);
      }
    }
    for (const [appId, port] of wanted) {
      if (!this.endpoints.has(appId)) await this.openOrReport(appId, port);
    }
    await this.revoke();
  }

  /** Closes logged-in connections whose key or password was removed, or whose app was stopped or deleted. */
  private async revoke(): Promise<void> {
    const ids = [...this.endpoints].filter(([, e]) => [...e.connections].some((c) => c.login)).map(([id]) => id);
    // Read only for apps with someone logged in: key lists are not small, and this runs every few seconds.
    if (ids.length === 0) return;
    const now = new Map((await loadAccesses(this.db, ids)).map((a) => [a.id, a]));
    for (const id of ids) {
      for (const connection of this.endpoints.get(id)?.connections ?? []) {
        const why = connection.login && revocation(now.get(id) ?? null, connection.login);
        if (why) connection.close(why);
      }
    }
  }

  /** A port that cannot be listened on is told to the app's owner (apps-status) and, once per cause, to the operator. */
  private async openOrReport(appId: number, port: number): Promise<void> {
    try {
      await this.open(appId, port);
    } catch (err) {
      const problem = listenProblem(port, err as Error);
      if (this.unlistenable.get(appId) !== problem) this.logger.warn({ appId, port }, `cannot listen: ${(err as Error).message}`);
      this.unlistenable.set(appId, problem);
      await this.problems.report(appId, problem).catch(() => undefined);
      return;
    }
    if (this.unlistenable.delete(appId)) {
      this.logger.log({ appId, port }, 'ssh endpoint listening now');
      await this.problems.clear(appId).catch(() => undefined);
    }
  }

  private async open(appId: number, port: number): Promise<void> {
    // A sync that was under way when shutdown began opens nothing more.
    if (this.stopping) return;
    const ssh = new ssh2.Server({ hostKeys: [this.hostKey], algorithms: ALGORITHMS, ident: 'Berth' }, (client, info) => {
      const admitted = endpoint.accepted.get(peer(info.ip, info.port));
      if (!admitted) return client.end();
      announceSignatureAlgorithms(client, SIGNATURE_ALGORITHMS);
      const connection = serveConnection(appId, client, info, admitted, { db: this.db, driver: this.driver, limiter: this.limiter, config: this.config, logger: this.logger });
      endpoint.connections.add(connection);
      client.once('close', () => endpoint.connections.delete(connection));
    });
    // Sockets are taken here, not by ssh2's own listener: the caps decide before ssh2 spends anything on them.
    const listener = createServer((socket) => {
      const admitted = this.admission.admit(socket, appId);
      if (!admitted) return;
      const key = peer(socket.remoteAddress, socket.remotePort);
      endpoint.accepted.set(key, admitted);
      socket.once('close', () => endpoint.accepted.delete(key));
      ssh.injectSocket(socket);
    });
    const endpoint: Endpoint = { port, listener, ssh, accepted: new Map(), connections: new Set() };
    await new Promise<void>((resolve, reject) => {
      listener.once('error', reject);
      listener.listen(port, this.config.ssh.listenAddress, () => {
        listener.off('error', reject);
        resolve();
      });
    });
    listener.on('error', (err: Error) => this.logger.warn({ appId, port }, `ssh endpoint: ${err.message}`));
    this.endpoints.set(appId, endpoint);
  }

  private async close(appId: number, why: string): Promise<void> {
    const endpoint = this.endpoints.get(appId);
    if (!endpoint) return;
    this.endpoints.delete(appId);
    // A deleted app's sessions end with it; so do connections still logging in.
    for (const connection of endpoint.connections) connection.close(why);
    for (const { socket } of endpoint.accepted.values()) socket.destroy();
    await new Promise<void>((resolve) => endpoint.listener.close(() => resolve()));
  }
}
