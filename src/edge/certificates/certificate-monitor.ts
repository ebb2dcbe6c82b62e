import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In, Not } from 'typeorm';
import { reachable } from '../../common/net.js';
import { every, Periodic } from '../../common/periodic.js';
import { BerthConfig } from '../../config/config.js';
import { CONFIG } from '../../config/config.module.js';
import { EdgeSync } from '../edge-sync.service.js';
import { httpsNames } from '../https-names.js';
import { CertificateEvent, parseCaddyTlsLine } from './caddy-tls-log.js';
import { Certificate } from './certificate.entity.js';
import { probeCertificate } from './tls-probe.js';

// An issued certificate is looked at again this often (and as it nears its end); names waiting
// for one at every check, as Caddy may get it any moment.
const ISSUED_RECHECK_MS = 60 * 60_000;
const PROBES_AT_ONCE = 8;

/**
 * The edge role's eye on certificates: which HTTPS names have one, which are waiting, and why
 * one could not be had (from the log of the Caddy this role started). A name that gets its
 * certificate, or loses it, changes the edge's routes at once: HTTP redirects to HTTPS only
 * while the certificate is there.
 */
@Injectable()
export class CertificateMonitor implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('certificates');
  private readonly lastProbe = new Map<string, number>();
  private loop?: Periodic;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(CONFIG) private readonly config: BerthConfig,
    private readonly edge: EdgeSync,
  ) {}

  onModuleInit(): void {
    if (this.config.edge.router !== 'caddy') return;
    this.loop = every(this.config.edge.certCheckIntervalMs, () => this.check(), (err) => this.logger.warn(`certificate check: ${err.message}`), 0);
  }

  onApplicationShutdown(): void {
    this.loop?.stop();
  }

  /** One line of Caddy's log: records what it says about a certificate, if anything. */
  onCaddyLog(line: string): void {
    const event = parseCaddyTlsLine(line);
    if (event) void this.record(event).catch((err: Error) => this.logger.warn(`recording ${event.kind} of ${event.domain}: ${err.message}`));
  }

  private async record(event: CertificateEvent): Promise<void> {
    const repo = this.db.getRepository(Certificate);
    // Only names Berth asked for: a name no app has (any more) is not tracked.
    const current = await repo.findOne({ where: { domain: event.domain } });
    if (!current) return;
    if (event.kind === 'obtained') {
      this.lastProbe.delete(event.domain);
      return void (await this.check());
    }
    if (current.status === 'issued') return;
    if (event.kind === 'obtaining') await repo.update({ domain: event.domain }, { status: 'pending', retryAt: null });
    else if (event.kind === 'failed') await repo.update({ domain: event.domain }, { status: 'failed', error: event.error });
    else await repo.update({ domain: event.domain }, { status: 'failed', error: event.error, retryAt: event.retryAt });
    if (event.kind !== 'obtaining') this.logger.warn({ domain: event.domain }, `no certificate for ${event.domain}: ${event.error}`);
  }

  /** Tracks exactly the names that want HTTPS, and looks at what the edge serves for each. */
  async check(): Promise<void> {
    const routes = await this.edge.routes();
    const names = [...new Set(routes.flatMap((r) => httpsNames(r, this.config.edge)))];
    const repo = this.db.getRepository(Certificate);
    // Names no app wants HTTPS for any more are forgotten.
    const stale = repo.createQueryBuilder().delete();
    await (names.length ? stale.where({ domain: Not(In(names)) }) : stale).execute();
    const known = new Map((await repo.find()).map((c) => [c.domain, c]));
    const fresh = names.filter((n) => !known.has(n));
    if (fresh.length) await repo.createQueryBuilder().insert().values(fresh.map((domain) => ({ domain }))).orIgnore().execute();
    const now = Date.now();
    const due = names.filter((n) => {
      const cert = known.get(n);
      if (!cert || cert.status !== 'issued') return true;
      return now - (this.lastProbe.get(n) ?? 0) > ISSUED_RECHECK_MS || (cert.expiresAt?.getTime() ?? 0) - now < ISSUED_RECHECK_MS;
    });
    let changed = false;
    for (let i = 0; i < due.length; i += PROBES_AT_ONCE) {
      const batch = due.slice(i, i + PROBES_AT_ONCE);
      const results = await Promise.all(batch.map((n) => this.probe(n)));
      for (const [k, name] of batch.entries()) {
        this.lastProbe.set(name, now);
        changed = (await this.observe(name, known.get(name), results[k])) || changed;
      }
    }
    // HTTP starts (or stops) redirecting the names whose certificate came (or went).
    if (changed) await this.edge.sync();
  }

  private probe(name: string): Promise<Date | null> {
    const host = reachable(this.config.edge.listenAddress || '127.0.0.1');
    return probeCertificate(host, this.config.edge.httpsPort, name);
  }

  /** Records what the handshake showed; true when the name gained or lost its certificate. */
  private async observe(name: string, before: Certificate | undefined, expiresAt: Date | null): Promise<boolean> {
    const repo = this.db.getRepository(Certificate);
    if (expiresAt) {
      if (before?.status === 'issued' && before.expiresAt?.getTime() === expiresAt.getTime()) return false;
      await repo.update({ domain: name }, { status: 'issued', expiresAt, error: '', retryAt: null });
      this.logger.log({ domain: name, expiresAt }, `certificate for ${name} is served`);
      return before?.status !== 'issued';
    }
    if (before?.status !== 'issued') return false;
    // It was served and is not any more (expired, or Caddy lost it): back to waiting, HTTP serves again.
    await repo.update({ domain: name }, { status: 'pending', expiresAt: null });
    this.logger.warn({ domain: name }, `certificate for ${name} is no longer served`);
    return true;
  }
}
