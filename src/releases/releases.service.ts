import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { PassThrough } from 'node:stream';
import { DataSource, EntityManager } from 'typeorm';
import { restoreConfigVersion } from '../app-config/config-restore.js';
import { AppChanges, PreparedChange } from '../apps/app-changes.js';
import { App } from '../apps/entities/app.entity.js';
import type { AuditActor } from '../common/access/principal.js';
import { DomainError } from '../common/errors/domain-error.js';
import { BerthConfig } from '../config/config.js';
import { CONFIG } from '../config/config.module.js';
import { Plan } from '../plans/plan.entity.js';
import { AppOperation } from '../provisioning/jobs.js';
import { ArchiveProblem, checkArchive, releaseLimits } from './archive/archive-check.js';
import { ReleaseCreatedDto, ReleaseDetailDto, ReleaseDto } from './dto/release.dto.js';
import { Release, ReleaseSource } from './entities/release.entity.js';
import { ReleaseStore, TooLargeError } from './release-store.js';

type NewRelease = Pick<Release, 'source' | 'archive' | 'archiveSize' | 'size'> & Partial<Pick<Release, 'rollbackOf' | 'configVersion' | 'log'>>;

/**
 * An app's releases: an archive deployed, a snapshot of what SSH put in /srv/app, or an earlier
 * release brought back. Each is an app operation; the worker carries it out (ReleaseDeployer).
 * One release of an app deploys at a time: a second is a 409 naming the first's operation.
 */
@Injectable()
export class ReleasesService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(CONFIG) private readonly config: BerthConfig,
    private readonly changes: AppChanges,
    private readonly store: ReleaseStore,
  ) {}

  async list(companyId: number, appId: number): Promise<ReleaseDto[]> {
    await this.assertApp(companyId, appId);
    const rows = await this.db.getRepository(Release).find({ where: { appId }, order: { version: 'DESC' } });
    return rows.map(releaseDto);
  }

  async get(companyId: number, appId: number, version: number): Promise<ReleaseDetailDto> {
    await this.assertApp(companyId, appId);
    const row = await this.db.getRepository(Release).findOne({ where: { appId, version } });
    if (!row) throw DomainError.notFound('release');
    return { ...releaseDto(row), log: row.log };
  }

  /**
   * Stores and checks the archive before anything changes: a refused archive leaves the app as it
   * was and nothing behind. `declaredBytes` (Content-Length) lets a too-large upload be refused unread.
   */
  async deployArchive(companyId: number, appId: number, body: NodeJS.ReadableStream, declaredBytes: number | null, actor: AuditActor): Promise<ReleaseCreatedDto> {
    const { plan } = await this.deployable(companyId, appId);
    const diskBytes = plan.disk * 1024 ** 3;
    const archiveMax = Math.min(this.config.releases.archiveMaxBytes, diskBytes);
    const tooLarge = () => new DomainError('payload_too_large', `the archive is larger than the ${archiveMax} bytes this app may upload (RELEASE_ARCHIVE_MAX, or its plan's disk)`);
    if (declaredBytes !== null && declaredBytes > archiveMax) throw tooLarge();
    await this.changes.assertReady();
    // Checked as it streams in, beside being stored: a bad archive is refused as soon as its bad
    // entry arrives (a bomb costs what the limit allows), and a good one is not read twice.
    const checking = new PassThrough();
    const checked = checkArchive(checking, releaseLimits(this.config.releases, diskBytes));
    checked.catch(() => undefined);
    let stored: { name: string; size: number } | null = null;
    try {
      stored = await this.store.write(appId, body, archiveMax, checking);
      const summary = await checked;
      const archive = stored;
      await this.store.keepManifest(appId, archive.name, summary.manifest);
      return await this.record(companyId, appId, actor, 'release.create', async () => ({ source: 'archive', archive: archive.name, archiveSize: archive.size, size: summary.unpackedBytes }));
    } catch (err) {
      // A write that stopped first leaves the check waiting for the rest: it ends now.
      checking.destroy();
      if (stored) await this.store.remove(appId, stored.name);
      // The check's refusal explains a write it stopped.
      const problem = await checked.then(
        () => null,
        (e: unknown) => e,
      );
      if (problem instanceof ArchiveProblem) throw DomainError.field('archive', problem.message);
      if (err instanceof TooLargeError) throw tooLarge();
      // PostgreSQL's disk_full: the release store is the database.
      if ((err as { code?: string }).code === '53100') throw new DomainError('unavailable', 'the release store has no space left; nothing was changed');
      throw err;
    }
  }

  /** Records what /srv/app holds now: the worker archives it, and it becomes the active release. */
  async snapshot(companyId: number, appId: number, actor: AuditActor): Promise<ReleaseCreatedDto> {
    await this.deployable(companyId, appId);
    return this.record(companyId, appId, actor, 'release.create', async () => ({ source: 'srv', archive: null, archiveSize: 0, size: 0 }));
  }

  /** A new release from an earlier one's files and config version (by default the one active before the current one). */
  async rollback(companyId: number, appId: number, version: number | undefined, actor: AuditActor): Promise<ReleaseCreatedDto> {
    await this.deployable(companyId, appId);
    return this.record(companyId, appId, actor, 'release.rollback', async (tx, app) => {
      const target = await this.rollbackTarget(tx, appId, version);
      const log: string[] = [`rollback to release ${target.version}`];
      let configVersion = target.configVersion;
      if (configVersion !== null) {
        const { restored, changes } = await restoreConfigVersion(tx, app, configVersion, actor, this.config.appConfig.versionsKept);
        if (!restored) {
          log.push(`config version ${configVersion} is not kept with its values: the current config stays`);
          configVersion = null;
        } else if (changes.length > 0) {
          app.configTargetVersion = app.configVersion;
          log.push(`config of version ${configVersion} restored as config version ${app.configVersion} (${changes.map((c) => `${c.change} ${c.name}`).join(', ')})`);
        } else log.push(`config already as in version ${configVersion}`);
      }
      return { source: 'rollback', archive: target.archive, archiveSize: target.archiveSize, size: target.size, rollbackOf: target.version, configVersion, log: `${log.join('\n')}\n` };
    });
  }

  private async rollbackTarget(tx: EntityManager, appId: number, version: number | undefined): Promise<Release> {
    const repo = tx.getRepository(Release);
    const target =
      version !== undefined
        ? await repo.findOne({ where: { appId, version } })
        : await repo.findOne({ where: { appId, status: 'superseded' }, order: { activatedAt: 'DESC' } });
    if (!target) {
      if (version !== undefined) throw DomainError.notFound('release');
      throw DomainError.conflict('version', 'there is no earlier release to roll back to');
    }
    if (target.status === 'failed' || target.archive === null) {
      throw DomainError.conflict('version', `release ${target.version} ${target.status === 'failed' ? 'failed' : 'has no files kept'}: roll back to a release that ran`);
    }
    if (!(await this.store.exists(appId, target.archive))) throw DomainError.conflict('version', `the files of release ${target.version} are missing from the release store`);
    return target;
  }

  /**
   * The release row and its operation in one transaction, under the app's lock: two parallel
   * deploys see each other, and the second is refused.
   */
  private async record(
    companyId: number,
    appId: number,
    actor: AuditActor,
    action: 'release.create' | 'release.rollback',
    describe: (tx: EntityManager, app: App) => Promise<NewRelease>,
  ): Promise<ReleaseCreatedDto> {
    let version = 0;
    const app = await this.changes.record(companyId, appId, actor, async (tx, app): Promise<PreparedChange> => {
      if (app!.deleting) throw new DomainError('conflict', 'the app is being deleted');
      await assertNoneDeploying(tx, appId);
      const release = await describe(tx, app!);
      const { max } = (await tx.getRepository(Release).createQueryBuilder('r').select('MAX(r.version)', 'max').where('r.app_id = :appId', { appId }).getRawOne()) ?? {};
      version = (Number(max) || 0) + 1;
      const kind = release.source === 'rollback' ? AppOperation.Rollback : AppOperation.Deploy;
      const data = { version, source: release.source, ...(release.rollbackOf ? { rollback_of: release.rollbackOf } : {}) };
      return {
        app: app!,
        kind,
        status: 'updating',
        event: { action, data },
        attach: async (tx, operationId) => {
          await tx.getRepository(Release).insert({ ...release, appId, version, status: 'deploying', operationId, accountId: actor.accountId });
        },
        undo: async (tx) => {
          await tx.getRepository(Release).update({ appId, version }, { status: 'failed', message: 'not started: the job queue was unavailable', finishedAt: () => 'now()' });
        },
      };
    });
    return { version, status: 'deploying', operation_id: app.operationId! };
  }

  private async assertApp(companyId: number, appId: number): Promise<void> {
    if (!(await this.db.getRepository(App).exists({ where: { id: appId, companyId } }))) throw DomainError.notFound('app');
  }

  /** The app and its plan, or 404; 409 when it cannot take a release now. */
  private async deployable(companyId: number, appId: number): Promise<{ app: App; plan: Plan }> {
    const app = await this.db.getRepository(App).findOne({ where: { id: appId, companyId } });
    if (!app) throw DomainError.notFound('app');
    if (app.deleting) throw new DomainError('conflict', 'the app is being deleted');
    if (!app.enabled) throw new DomainError('conflict', 'the app is stopped: start it first (a release is active only once the app answers HTTP)');
    await assertNoneDeploying(this.db.manager, appId);
    return { app, plan: await this.db.getRepository(Plan).findOneByOrFail({ id: app.planId }) };
  }
}

async function assertNoneDeploying(tx: EntityManager, appId: number): Promise<void> {
  const deploying = await tx.getRepository(Release).findOne({ where: { appId, status: 'deploying' } });
  if (deploying) {
    throw new DomainError('conflict', `release ${deploying.version} is still deploying: follow operation ${deploying.operationId} until it ends, then try again`);
  }
}

export function releaseDto(row: Release): ReleaseDto {
  return {
    version: row.version,
    status: row.status,
    source: row.source as ReleaseSource,
    rollback_of: row.rollbackOf,
    config_version: row.configVersion,
    size: row.size,
    archive_size: row.archiveSize,
    operation_id: row.operationId,
    message: row.message,
    created_at: row.createdAt.toISOString(),
    created_by: row.accountId,
    finished_at: row.finishedAt ? row.finishedAt.toISOString() : null,
  };
}
