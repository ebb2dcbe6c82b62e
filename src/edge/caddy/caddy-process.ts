import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { every, Periodic } from '../../common/periodic.js';
import { BerthConfig } from '../../config/config.js';
import { CONFIG } from '../../config/config.module.js';
import { EDGE_ROUTER, EdgeRouter } from '../edge-router.js';
import { CertificateMonitor } from '../certificates/certificate-monitor.js';
import { EdgeSync } from '../edge-sync.service.js';
import { CaddyRouter } from './caddy.router.js';

const START_TIMEOUT_MS = 15_000;
// A Caddy that died is started again after a moment; one that will not start is tried again less often.
const RESTART_MS = 1000;
const RETRY_MS = 10_000;

/**
 * The edge role: makes sure a Caddy answers at CADDY_ADMIN_URL (starting one
 * when none does and EDGE_START_CADDY allows, and starting it again should it
 * die), and, in a process without the
 * worker role, keeps its routes in step with the database every
 * SWEEP_INTERVAL_MS, so a Caddy that restarted heals even where no worker runs.
 * A Caddy it started stops with it.
 */
@Injectable()
export class CaddyProcess implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('edge');
  private child?: ChildProcess;
  private loop?: Periodic;
  private stopped = false;

  constructor(
    @Inject(CONFIG) private readonly config: BerthConfig,
    @Inject(EDGE_ROUTER) private readonly router: EdgeRouter | null,
    private readonly edge: EdgeSync,
    private readonly certificates: CertificateMonitor,
  ) {}

  async onModuleInit(): Promise<void> {
    if (!(this.router instanceof CaddyRouter)) return;
    const up = await this.router.ping().then(() => true, () => false);
    if (!up && this.config.edge.startCaddy) {
      const router = this.router;
      await this.start(router).catch((err: Error) => {
        this.logger.error(`could not start Caddy: ${err.message}`);
        this.startLater(router, RETRY_MS);
      });
    }
    // A worker in this process syncs the edge on each of its sweeps already; no need to do it twice.
    if (this.config.roles.includes('worker')) return;
    this.loop = every(this.config.jobs.sweepIntervalMs, () => this.edge.sync(), (err) => this.logger.warn(`edge sync: ${err.message}`), 0);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.loop?.stop();
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
  }

  private async start(router: CaddyRouter): Promise<void> {
    const dir = this.config.edge.caddyDataDir;
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    // Only the admin API at first: the routes come with the first sync.
    const initial = join(dir, 'initial.json');
    writeFileSync(initial, JSON.stringify({ admin: { listen: router.adminListen } }));
    const log = createWriteStream(join(dir, 'caddy.log'), { flags: 'a' });
    const child = spawn(this.config.edge.caddyBin, ['run', '--config', initial], {
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: dir,
        XDG_DATA_HOME: join(dir, 'data'),
        XDG_CONFIG_HOME: join(dir, 'config'),
        // Fewer garbage collections for a little more memory: about a quarter more requests per second when proxying.
        GOGC: '400',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.pipe(log);
    child.stderr!.pipe(log);
    // Caddy's log is the only place it says why a certificate could not be had.
    createInterface({ input: child.stderr!, crlfDelay: Infinity }).on('line', (line) => this.certificates.onCaddyLog(line));
    this.child = child;
    const failed = new Promise<never>((_, reject) => {
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`caddy exited with ${code}; see ${join(dir, 'caddy.log')}`)));
    });
    failed.catch(() => undefined); // observed through the race below; later exits are logged instead
    const until = Date.now() + START_TIMEOUT_MS;
    try {
      for (;;) {
        const answered = await Promise.race([router.ping().then(() => true, () => false), failed]);
        if (answered) break;
        if (Date.now() > until) throw new Error(`Caddy did not answer at ${this.config.edge.caddyAdminUrl} within ${START_TIMEOUT_MS} ms`);
        await new Promise((r) => setTimeout(r, 100));
      }
    } catch (err) {
      child.kill('SIGKILL');
      throw err;
    }
    child.removeAllListeners('exit');
    child.once('exit', (code, signal) => {
      if (this.stopped) return;
      this.logger.error({ code, signal }, 'Caddy exited; starting it again');
      this.startLater(router, RESTART_MS);
    });
    this.logger.log({ pid: child.pid, admin: this.config.edge.caddyAdminUrl }, 'started Caddy');
  }

  /** Starts the Caddy this role runs again (it died, or would not start), and gives it its routes at once. */
  private startLater(router: CaddyRouter, delayMs: number): void {
    const timer = setTimeout(() => {
      if (this.stopped) return;
      this.start(router)
        .then(() => this.edge.sync())
        .catch((err: Error) => {
          this.logger.error(`could not start Caddy: ${err.message}`);
          this.startLater(router, RETRY_MS);
        });
    }, delayMs);
    timer.unref();
  }
}
