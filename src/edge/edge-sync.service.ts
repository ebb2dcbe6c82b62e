import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { defaultDomain } from '../apps/app-domains.js';
import { reachable } from '../common/net.js';
import { routable } from '../domains/domains.service.js';
import { BerthConfig } from '../config/config.js';
import { CONFIG } from '../config/config.module.js';
import { NodeDirectory } from '../containers/node-directory.js';
import { EDGE_ROUTER, EdgeRoute, EdgeRouter } from './edge-router.js';

// Any constant works; it only has to be the same in every Berth process.
const EDGE_LOCK_KEY = 0x65646765; // "edge"

/**
 * Keeps the edge in step with the database: every app that is not being
 * deleted, by its domains, to its published port (or to the stopped page).
 * Syncs are serialised across processes and each reads the database under the
 * lock, so the last to run always applies the newest state.
 */
@Injectable()
export class EdgeSync {
  private readonly logger = new Logger('edge');

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(CONFIG) private readonly config: BerthConfig,
    private readonly nodes: NodeDirectory,
    @Optional() @Inject(EDGE_ROUTER) private readonly router: EdgeRouter | null,
  ) {}

  /** Applies the routes the database describes; true when the edge had to change. */
  async sync(): Promise<boolean> {
    if (!this.router) return false;
    const router = this.router;
    const changed = await this.db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [EDGE_LOCK_KEY]);
      return router.apply(await this.routes(tx));
    });
    if (changed) this.logger.log('edge routes updated');
    return changed;
  }

  /** Every app that is not being deleted, by its domains (its default one always among them), and Berth's own API. */
  async routes(tx: EntityManager = this.db.manager): Promise<EdgeRoute[]> {
    const rows: Array<{ id: number; company_id: number; name: string; enabled: boolean; mode: EdgeRoute['mode']; host_port: number; node: string | null; domains: string[] }> = await tx.query(
      `SELECT a.id, a.company_id, a.name, a.enabled, a.mode, a.host_port, a.node, array_agg(d.domain ORDER BY d.position) AS domains
         FROM apps a JOIN app_domains d ON d.app_id = a.id
        WHERE NOT a.deleting GROUP BY a.id ORDER BY a.id`,
    );
    const proofs: Array<{ company_id: number; domain: string }> = await tx.query('SELECT company_id, domain FROM domain_verifications WHERE verified_at IS NOT NULL');
    const byCompany = new Map<number, string[]>();
    for (const p of proofs) byCompany.set(p.company_id, [...(byCompany.get(p.company_id) ?? []), p.domain]);
    const held: Array<{ domain: string }> = await tx.query(`SELECT domain FROM certificates WHERE status = 'issued' AND expires_at > now()`);
    const secured = new Set(held.map((c) => c.domain));
    // Each app on the node it runs on; one that has none yet (not placed) gets the stopped page.
    const hostOf = await this.nodes.hosts();
    const routes: EdgeRoute[] = rows.map((r) => {
      // A custom domain is routed once its company proved control of it; the default domain stays
      // routed whatever the app's domains: it always has a working address.
      const own = byCompany.get(r.company_id) ?? [];
      const domains = [...new Set([...r.domains.filter((d) => routable(d, own, this.config.apps.domain)), defaultDomain(r, this.config.apps.domain)])];
      const host = hostOf(r.node);
      return { appId: r.id, domains, mode: r.mode, secured: domains.filter((d) => secured.has(d)), upstream: r.enabled && host ? { host, port: r.host_port } : null };
    });
    // Berth's own API, when the edge fronts it: an https+le route of id 0 (no app has it).
    const api = this.config.edge.apiHost;
    if (api) {
      const upstream = { host: reachable(this.config.host), port: this.config.port };
      routes.unshift({ appId: 0, domains: [api], mode: 'https+le', secured: secured.has(api) ? [api] : [], upstream });
    }
    return routes;
  }
}
