import type { Logger } from '@nestjs/common';
import { connect } from 'node:net';
import type { Connection } from 'ssh2';
import { DataSource } from 'typeorm';
import { BerthConfig, StorageServerConfig } from '../config/config.js';
import { StorageType } from '../storages/engines/storage-engine.js';
import { Storage } from '../storages/storage.entity.js';
import { AppAccess } from './ssh-access.js';
import { Touch } from './ssh-idle.js';

// A few tunnels are what a person with psql and a GUI client needs; each counts on the server too.
const MAX_TUNNELS = 16;
const CONNECT_TIMEOUT_MS = 10_000;

export interface TunnelDeps {
  db: DataSource;
  config: BerthConfig;
  logger: Logger;
  log: Record<string, unknown>;
  /** Called when a forward opens and on every chunk it carries: the connection is not idle. */
  touch: Touch;
}

/**
 * Rosti's way into a database from a laptop: `ssh -L 5432:pgsql.berth.internal:5432 app@...`.
 * A local forward is served only to a storage server's app-facing name (or the address it
 * stands for) and port, and only for an engine the app's company has storages on; the
 * gateway dials the server as an app would. Any other destination (loopback, Redis, the
 * Docker API, a metadata address), and the SOCKS proxy of `-D` that asks for them, is
 * refused. Remote (-R) and streamlocal forwards have no listener here, so ssh2 refuses them.
 */
export function serveTunnels(client: Connection, access: AppAccess, deps: TunnelDeps): void {
  const servers: [StorageType, StorageServerConfig][] = [
    ['pgsql', deps.config.storages.pgsql],
    ['mariadb', deps.config.storages.mariadb],
  ];
  let open = 0;
  client.on('tcpip', (accept, reject, info) => {
    deps.touch();
    const destination = info.destIP.toLowerCase().replace(/\.$/, '');
    const match = servers.find(([, s]) => s.port === info.destPort && (destination === s.host || destination === s.address));
    const refuse = (why: string) => {
      deps.logger.warn({ ...deps.log, destination: `${info.destIP}:${info.destPort}` }, `ssh forward refused: ${why}`);
      reject();
    };
    if (!match) return refuse('not a storage server');
    if (!access.enabled) return refuse('the app is stopped');
    if (open >= MAX_TUNNELS) return refuse(`${MAX_TUNNELS} forwards are open on this connection`);
    const [type, server] = match;
    open += 1;
    const release = (() => {
      let done = false;
      return () => (done ? undefined : ((done = true), (open -= 1)));
    })();
    void deps.db
      .getRepository(Storage)
      .exists({ where: { companyId: access.companyId, type } })
      .then((has) => {
        if (!has) {
          release();
          return refuse(`the company has no ${type} storage`);
        }
        const socket = connect({ host: server.address ?? server.host, port: server.port, timeout: CONNECT_TIMEOUT_MS });
        let connected = false;
        socket.once('timeout', () => socket.destroy(new Error('timed out')));
        // Once connected, an error closes the socket and `close` below tidies up.
        socket.on('error', (err) => {
          if (connected) return;
          release();
          refuse(`the ${type} server cannot be reached: ${err.message}`);
        });
        socket.once('connect', () => {
          connected = true;
          socket.setTimeout(0);
          const channel = accept();
          socket.pipe(channel).pipe(socket);
          socket.on('data', deps.touch);
          channel.on('data', deps.touch);
          const close = () => {
            release();
            socket.destroy();
            channel.destroy();
          };
          socket.once('close', close);
          channel.once('close', close);
          channel.on('error', () => undefined);
        });
      })
      .catch((err: Error) => {
        release();
        refuse(`cannot check the company's storages: ${err.message}`);
      });
  });
}
