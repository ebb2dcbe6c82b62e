import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { AppChanges } from '../apps/app-changes.js';
import { App } from '../apps/entities/app.entity.js';
import type { AuditActor } from '../common/access/principal.js';
import { DomainError, FieldErrors } from '../common/errors/domain-error.js';
import { Keyset } from '../common/pagination/keyset.js';
import type { Page, PageRequest } from '../common/pagination/page-request.js';
import { BerthConfig } from '../config/config.js';
import { CONFIG } from '../config/config.module.js';
import { EventsService } from '../events/events.service.js';
import { bindingVars } from './binding-vars.js';
import { boundStorages, managedNames } from './bound-storages.js';
import { applyingConfig, recordConfigVersion } from './config-versions.js';
import { assertNoProblems, environmentBytes, nameProblem, valueProblem } from './config-rules.js';
import { AppConfigDto, ConfigChangeDto, ConfigVersionDto, REDACTED } from './dto/app-config.dto.js';
import { AppConfigVar } from './entities/app-config-var.entity.js';
import { AppConfigVersion, ConfigChange } from './entities/app-config-version.entity.js';
import { SECRET_BOX } from './secret-box.provider.js';
import { SecretBox, secretContext } from './secret-box.js';

const ORDER = new Keyset<AppConfigVersion>('DESC', [{ sql: 'v.version', type: 'int', of: (row) => row.version }]);

/** What one request asks to change: a value, a secret's value (sealed on the way), or null to remove. */
type Wanted = Map<string, { value: string; secret: boolean } | null>;

/**
 * An app's environment: variables and secrets, each change a new version. A change applies
 * through the app's operation (its container made again with the new environment), or is
 * only stored with `restart: false`, to be applied by the next restart.
 */
@Injectable()
export class AppConfigService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(CONFIG) private readonly config: BerthConfig,
    @Inject(SECRET_BOX) private readonly box: SecretBox,
    private readonly changes: AppChanges,
    private readonly events: EventsService,
  ) {}

  async read(companyId: number, appId: number): Promise<AppConfigDto> {
    const app = await this.db.getRepository(App).findOne({ where: { id: appId, companyId } });
    if (!app) throw DomainError.notFound('app');
    const rows = await this.db.getRepository(AppConfigVar).find({ where: { appId }, order: { name: 'ASC' } });
    const latest = await this.db.getRepository(AppConfigVersion).findOne({ where: { appId }, order: { version: 'DESC' } });
    const vars: Record<string, string> = {};
    for (const row of rows) vars[row.name] = row.sealed !== null ? REDACTED : row.value!;
    const secrets = rows.filter((r) => r.sealed !== null).map((r) => r.name);
    const managed: Record<string, number> = {};
    for (const bound of await boundStorages(this.db.manager, appId)) {
      const values = bindingVars(bound.prefix, bound, this.config.storages[bound.type], REDACTED);
      for (const [name, value] of Object.entries(values)) {
        vars[name] = name.endsWith('_PASSWORD') ? REDACTED : value.replace(`:${encodeURIComponent(REDACTED)}@`, `:${REDACTED}@`);
        managed[name] = bound.storageId;
      }
      secrets.push(`${bound.prefix}_PASSWORD`);
    }
    return {
      version: app.configVersion,
      running_version: app.configRunningVersion,
      vars,
      secrets: secrets.sort(),
      managed,
      updated_at: latest ? latest.createdAt.toISOString() : null,
    };
  }

  /** `{vars: {NAME: "value" | null}}`: sets plain values, removes on null. */
  setVars(companyId: number, appId: number, vars: Record<string, unknown>, restart: boolean, actor: AuditActor): Promise<ConfigChangeDto> {
    const problems: FieldErrors = {};
    const wanted: Wanted = new Map();
    for (const [name, value] of Object.entries(vars)) {
      const problem = nameProblem(name) ?? (value === null ? null : valueProblem(value, this.config.appConfig.valueMaxBytes));
      if (problem) problems[`vars.${name}`] = [problem];
      else wanted.set(name, value === null ? null : { value: value as string, secret: false });
    }
    if (Object.keys(vars).length === 0) problems.vars = ['names no variable: give at least one, with a string to set it or null to remove it'];
    assertNoProblems(problems);
    return this.change(companyId, appId, wanted, restart, actor, false, (name) => `vars.${name}`);
  }

  setSecret(companyId: number, appId: number, name: string, value: unknown, restart: boolean, actor: AuditActor): Promise<ConfigChangeDto> {
    const problem = nameProblem(name);
    if (problem) throw DomainError.field('name', problem);
    const bad = valueProblem(value, this.config.appConfig.valueMaxBytes);
    if (bad) throw DomainError.field('value', bad);
    this.box.assertEnabled();
    return this.change(companyId, appId, new Map([[name, { value: value as string, secret: true }]]), restart, actor);
  }

  async remove(companyId: number, appId: number, name: string, restart: boolean, actor: AuditActor): Promise<ConfigChangeDto> {
    return this.change(companyId, appId, new Map([[name, null]]), restart, actor, true);
  }

  async versions(companyId: number, appId: number, page: PageRequest): Promise<Page<ConfigVersionDto>> {
    await this.assertApp(companyId, appId);
    const query = this.db.getRepository(AppConfigVersion).createQueryBuilder('v').where('v.app_id = :appId', { appId });
    const { items, next } = ORDER.page(await ORDER.apply(query, page).getMany(), page);
    return { items: items.map(versionDto), next };
  }

  async version(companyId: number, appId: number, version: number): Promise<ConfigVersionDto> {
    await this.assertApp(companyId, appId);
    const row = await this.db.getRepository(AppConfigVersion).findOne({ where: { appId, version } });
    if (!row) throw DomainError.notFound('config version');
    return versionDto(row);
  }

  private async assertApp(companyId: number, appId: number): Promise<void> {
    if (!(await this.db.getRepository(App).exists({ where: { id: appId, companyId } }))) throw DomainError.notFound('app');
  }

  /**
   * Stores a new version with what is wanted. Applied at once through the app's operation, or
   * (`restart` false) only stored. A change that changes nothing makes no version.
   */
  private async change(companyId: number, appId: number, wanted: Wanted, restart: boolean, actor: AuditActor, mustExist = false, fieldOf: (name: string) => string = () => 'name'): Promise<ConfigChangeDto> {
    if (!restart) {
      return this.db.transaction(async (tx) => {
        const app = await tx.getRepository(App).findOne({ where: { id: appId, companyId }, lock: { mode: 'pessimistic_write' } });
        if (!app) throw DomainError.notFound('app');
        const changed = await this.write(tx, app, wanted, mustExist, actor, fieldOf);
        if (!changed) return { version: app.configVersion, operation_id: null };
        await tx.getRepository(App).update({ id: app.id }, { configVersion: app.configVersion });
        await this.events.record(tx, actor, { action: 'app.config', companyId, target: { type: 'app', id: app.id }, data: eventData(app.configVersion, changed, false) });
        return { version: app.configVersion, operation_id: null };
      });
    }
    let changed: ConfigChange[] | null = null;
    const app = await this.changes.record(companyId, appId, actor, async (tx, app) => {
      if (app!.deleting) throw new DomainError('conflict', 'the app is being deleted');
      changed = await this.write(tx, app!, wanted, mustExist, actor, fieldOf);
      // Nothing changed: the app is made to run what is stored, which is what a restart would do.
      return applyingConfig(app!, { action: 'app.config', data: eventData(app!.configVersion, changed ?? [], true) });
    });
    return { version: app.configVersion, operation_id: app.operationId };
  }

  /** Writes the variables of one change and its version row; the changes made, or null for none. */
  private async write(tx: EntityManager, app: App, wanted: Wanted, mustExist: boolean, actor: AuditActor, fieldOf: (name: string) => string): Promise<ConfigChange[] | null> {
    const repo = tx.getRepository(AppConfigVar);
    const current = new Map((await repo.find({ where: { appId: app.id } })).map((row) => [row.name, row]));
    const managed = managedNames(await boundStorages(tx, app.id));
    const problems: FieldErrors = {};
    for (const name of wanted.keys()) {
      if (managed.has(name)) problems[fieldOf(name)] = [`is managed by the binding of storage ${managed.get(name)}: unbind it to change it`];
    }
    assertNoProblems(problems);
    const changes: ConfigChange[] = [];
    const after = new Map<string, string>([...current].map(([name, row]) => [name, row.value ?? this.box.open(row.sealed!, secretContext(app.id, name))]));
    for (const [name, want] of wanted) {
      const row = current.get(name);
      if (want === null) {
        if (!row) {
          if (mustExist) throw DomainError.notFound(`config variable ${name}`);
          continue;
        }
        await repo.delete({ appId: app.id, name });
        after.delete(name);
        changes.push({ name, change: 'unset', secret: row.sealed !== null });
        continue;
      }
      const sameSecret = want.secret && row?.sealed != null && after.get(name) === want.value;
      const samePlain = !want.secret && row?.value === want.value;
      if (sameSecret || samePlain) continue;
      await repo.upsert(
        { appId: app.id, name, value: want.secret ? null : want.value, sealed: want.secret ? this.box.seal(want.value, secretContext(app.id, name)) : null },
        ['appId', 'name'],
      );
      after.set(name, want.value);
      changes.push({ name, change: 'set', secret: want.secret });
    }
    if (changes.length === 0) return null;
    const total = environmentBytes(after);
    if (total > this.config.appConfig.totalMaxBytes) {
      throw DomainError.field('vars', `would make the app's environment ${total} bytes, above the ${this.config.appConfig.totalMaxBytes} allowed`);
    }
    await recordConfigVersion(tx, app, changes, actor, this.config.appConfig.versionsKept);
    return changes;
  }
}

function versionDto(row: AppConfigVersion): ConfigVersionDto {
  return { version: row.version, changes: row.changes, created_at: row.createdAt.toISOString(), created_by: row.accountId };
}

/** Names only: an event never holds a value. */
function eventData(version: number, changes: ConfigChange[], applied: boolean) {
  return {
    version,
    set: changes.filter((c) => c.change === 'set').map((c) => c.name),
    unset: changes.filter((c) => c.change === 'unset').map((c) => c.name),
    applied,
  };
}
