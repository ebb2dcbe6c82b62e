import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { hashPassword } from '../auth/password.js';
import type { AuditActor } from '../common/access/principal.js';
import { violated } from '../common/errors/constraint.js';
import { Keyset } from '../common/pagination/keyset.js';
import type { Page, PageRequest } from '../common/pagination/page-request.js';
import { DomainError } from '../common/errors/domain-error.js';
import { BerthConfig } from '../config/config.js';
import { CONFIG } from '../config/config.module.js';
import { Plan } from '../plans/plan.entity.js';
import { Placement } from '../nodes/placement.js';
import { AppOperation } from '../provisioning/jobs.js';
import { Runtime } from '../runtimes/runtime.entity.js';
import { AppChanges, PreparedChange } from './app-changes.js';
import { assertAccountQuota } from '../companies/account-quotas.js';
import { DomainsService } from '../domains/domains.service.js';
import { EventsService } from '../events/events.service.js';
import { defaultDomain, domainsOf, replaceDomains } from './app-domains.js';
import { toAppDto } from './app-view.js';
import { AppAction } from './dto/app-input.dto.js';
import type { CreateAppDto, UpdateAppDto } from './dto/app-input.dto.js';
import { AppDto } from './dto/app.dto.js';
import { App, AppStatus } from './entities/app.entity.js';
import { allocatePort } from './port-allocator.js';

const ACTION: Record<AppAction, { kind: AppOperation; status: AppStatus }> = {
  start: { kind: AppOperation.Start, status: 'starting' },
  stop: { kind: AppOperation.Stop, status: 'stopping' },
  restart: { kind: AppOperation.Restart, status: 'restarting' },
  rebuild: { kind: AppOperation.Rebuild, status: 'rebuilding' },
};

const ORDER = Keyset.byId<App>('app.id');

function sameList(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

// Fields whose change reaches the app's containers or routes, so goes through an operation.
const INFRA_FIELDS = ['image', 'plan', 'app_port', 'mode', 'domains'];

@Injectable()
export class AppsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(CONFIG) private readonly config: BerthConfig,
    private readonly changes: AppChanges,
    private readonly domains: DomainsService,
    private readonly events: EventsService,
    private readonly placement: Placement,
  ) {}

  private get domainRules() {
    return { appsDomain: this.config.apps.domain, apiHost: this.config.edge.apiHost, verification: this.domains };
  }

  async list(companyId: number, request: PageRequest): Promise<Page<AppDto>> {
    const query = this.db.getRepository(App).createQueryBuilder('app').where('app.companyId = :companyId', { companyId });
    const { items, next } = ORDER.page(await ORDER.apply(query, request).getMany(), request);
    const domains = await domainsOf(this.db.manager, items.map((a) => a.id));
    return { items: items.map((app) => toAppDto(app, domains.get(app.id)!, this.config)), next };
  }

  async get(companyId: number, id: number): Promise<AppDto> {
    const app = await this.find(companyId, id);
    return this.view(app);
  }

  /** The app of the company, or 404 (another company's app is as absent as a missing one). */
  async find(companyId: number, id: number): Promise<App> {
    const app = await this.db.getRepository(App).findOne({ where: { id, companyId } });
    if (!app) throw DomainError.notFound('app');
    return app;
  }

  async create(companyId: number, input: CreateAppDto, actor: AuditActor): Promise<AppDto> {
    // Hash outside the transaction: argon2 takes a while and needs no lock.
    const sshPasswordHash = input.ssh_password ? await hashPassword(input.ssh_password) : null;
    const nodes = await this.placement.candidates().catch(async (err: Error) => {
      // No node most often means the engine is away: its own 503 says so (asked only then, not on every create).
      await this.changes.assertReady();
      throw new DomainError('unavailable', `${err.message}; nothing was created, try again shortly`);
    });
    const app = await this.changes.record(companyId, null, actor, async (tx) => {
      // Serialise creates per company so two at once cannot both slip under the cap.
      await tx.query('SELECT id FROM companies WHERE id = $1 FOR UPDATE', [companyId]);
      const count = await tx.getRepository(App).count({ where: { companyId } });
      if (count >= this.config.apps.perCompany) {
        throw new DomainError('quota_exceeded', `this company has ${count} apps, the most it may have (${this.config.apps.perCompany})`);
      }
      await assertAccountQuota(tx, companyId, 'apps', this.config.apps.perAccount);
      await this.checkCatalog(tx, input.image, input.plan, true);
      // Placed now, so the answer already names the SSH endpoint of its node.
      const node = await this.placement.pick(tx, nodes);
      const app = tx.getRepository(App).create({
        node,
        dataNode: node,
        companyId,
        name: input.name,
        image: input.image,
        planId: input.plan,
        mode: input.mode ?? 'http',
        appPort: input.app_port ?? 8080,
        sshKeys: input.ssh_keys ?? [],
        sshPasswordHash,
        enabled: true,
        hostPort: await allocatePort(tx, 'host_port', this.config.docker.appPorts),
        sshPort: await allocatePort(tx, 'ssh_port', this.config.ssh.ports),
      });
      await this.insert(tx, app);
      await replaceDomains(tx, app, input.domains ?? [], this.domainRules);
      return { app, kind: AppOperation.Create, status: 'creating', created: true, event: { action: 'app.create', data: { name: app.name } } };
    });
    return this.view(app);
  }

  async update(companyId: number, id: number, input: UpdateAppDto, actor: AuditActor): Promise<AppDto> {
    const current = await this.find(companyId, id);
    if (input.name !== undefined && input.name !== current.name) throw DomainError.field('name', 'cannot be changed; create a new app instead');
    const sshPasswordHash = input.ssh_password ? await hashPassword(input.ssh_password) : input.ssh_password;
    const currentDomains = (await domainsOf(this.db.manager, [id])).get(id)!;
    // By name only: the event of an update never holds a key or a password.
    const fields = [
      input.image !== undefined && input.image !== current.image && 'image',
      input.plan !== undefined && input.plan !== current.planId && 'plan',
      input.app_port !== undefined && input.app_port !== current.appPort && 'app_port',
      input.mode !== undefined && input.mode !== current.mode && 'mode',
      input.domains !== undefined && !sameList(input.domains.length > 0 ? input.domains : [defaultDomain(current, this.config.apps.domain)], currentDomains) && 'domains',
      input.ssh_keys !== undefined && !sameList(input.ssh_keys, current.sshKeys) && 'ssh_keys',
      sshPasswordHash !== undefined && (sshPasswordHash !== null || current.sshPasswordHash !== null) && 'ssh_password',
    ].filter((f): f is string => !!f);
    const infra = fields.some((f) => INFRA_FIELDS.includes(f));
    const event = { action: 'app.update' as const, data: { fields } };

    // Keys and the password live in Berth only (the gateway reads them): no operation needed.
    const applyAccess = (app: App) => {
      if (input.ssh_keys !== undefined) app.sshKeys = input.ssh_keys;
      if (sshPasswordHash !== undefined) app.sshPasswordHash = sshPasswordHash;
    };
    if (!infra) {
      const app = await this.db.transaction(async (tx) => {
        const app = await tx.getRepository(App).findOne({ where: { id, companyId }, lock: { mode: 'pessimistic_write' } });
        if (!app) throw DomainError.notFound('app');
        this.assertNotDeleting(app);
        applyAccess(app);
        const saved = await tx.save(app);
        // Sending back what was read changes nothing, and records nothing.
        if (fields.length > 0) await this.events.record(tx, actor, { ...event, companyId, target: { type: 'app', id } });
        return saved;
      });
      return this.view(app);
    }

    const app = await this.changes.record(companyId, id, actor, async (tx, app) => {
      this.assertNotDeleting(app!);
      await this.checkCatalog(tx, input.image ?? app!.image, input.plan ?? app!.planId, input.image !== undefined && input.image !== app!.image);
      app!.image = input.image ?? app!.image;
      app!.planId = input.plan ?? app!.planId;
      app!.appPort = input.app_port ?? app!.appPort;
      app!.mode = input.mode ?? app!.mode;
      applyAccess(app!);
      if (input.domains !== undefined) await replaceDomains(tx, app!, input.domains, this.domainRules);
      return { app: app!, kind: AppOperation.Update, status: 'updating', event };
    });
    return this.view(app);
  }

  async action(companyId: number, id: number, action: AppAction, actor: AuditActor): Promise<AppDto> {
    const app = await this.changes.record(companyId, id, actor, async (_tx, app): Promise<PreparedChange> => {
      this.assertNotDeleting(app!);
      const { kind, status } = ACTION[action];
      if (action === 'start') app!.enabled = true;
      if (action === 'stop') app!.enabled = false;
      if (action === 'restart') {
        if (!app!.enabled) throw new DomainError('conflict', 'the app is stopped: start it instead of restarting it');
        app!.restartGeneration += 1;
        // A restart applies a config stored with restart=false: the container is made again with it.
        app!.configTargetVersion = app!.configVersion;
      }
      if (action === 'rebuild') app!.rebuildGeneration += 1;
      return { app: app!, kind, status, event: { action: `app.${action}` } };
    });
    return this.view(app);
  }

  async remove(companyId: number, id: number, actor: AuditActor): Promise<AppDto> {
    // A delete that failed may be asked for again; the sweep also keeps trying on its own.
    const app = await this.changes.record(companyId, id, actor, async (_tx, app) => {
      app!.deleting = true;
      return { app: app!, kind: AppOperation.Delete, status: 'deleting', event: { action: 'app.delete', data: { name: app!.name } } };
    });
    return this.view(app);
  }

  private assertNotDeleting(app: App): void {
    if (app.deleting) throw new DomainError('conflict', 'the app is being deleted');
  }

  private async view(app: App): Promise<AppDto> {
    return toAppDto(app, (await domainsOf(this.db.manager, [app.id])).get(app.id)!, this.config);
  }

  /** 400 naming the field when the image is not a runtime of the catalog (offered for new apps) or the plan does not exist. */
  private async checkCatalog(tx: EntityManager, image: string, planId: number, newImage: boolean): Promise<void> {
    const runtime = await tx.getRepository(Runtime).findOne({ where: { image } });
    if (!runtime) throw DomainError.field('image', `${image} is not a runtime of the catalog; see GET /api/v1/{company_id}/runtimes/`);
    if (newImage && !runtime.show) throw DomainError.field('image', `${image} is no longer offered for new apps; choose another runtime`);
    if (!(await tx.getRepository(Plan).exists({ where: { id: planId } }))) {
      throw DomainError.field('plan', `there is no plan ${planId}; see GET /api/v1/{company_id}/plans/`);
    }
  }

  /** Saves a new app; a name the company already uses is a 409 (the unique index decides, races included). */
  private async insert(tx: EntityManager, app: App): Promise<void> {
    try {
      await tx.save(app);
    } catch (err) {
      if (violated(err, 'apps_company_name_key')) {
        throw DomainError.conflict('name', `${app.name} is already the name of an app in this company`);
      }
      throw err;
    }
  }
}
