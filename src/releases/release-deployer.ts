import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { pipeline as pipelineAsync } from 'node:stream/promises';
import { gunzip } from './archive/gunzip.js';
import { DataSource, EntityManager } from 'typeorm';
import { AppEnvironment } from '../app-config/app-environment.js';
import { appSecretMask } from '../app-config/app-secret-mask.js';
import { App } from '../apps/entities/app.entity.js';
import { BerthConfig } from '../config/config.js';
import { CONFIG } from '../config/config.module.js';
import { CONTAINER_DRIVER, ContainerDriver } from '../containers/container-driver.js';
import { within } from '../common/within.js';
import { Operation } from '../operations/operation.entity.js';
import { OperationsService } from '../operations/operations.service.js';
import { Plan } from '../plans/plan.entity.js';
import { releaseLimits, tarBytesMax } from './archive/archive-check.js';
import { gzipUpTo, TarTooLargeError } from './archive/gzip-up-to.js';
import { TarOwner } from './archive/tar-owner.js';
import { Manifest as TarManifest, sizeOf, treeChange, TreeChange } from './archive/tar-manifest.js';
import { PreparedLinking, prepareAndLink, removeFromIncoming, runningManifest } from './release-tree.js';
import { Release } from './entities/release.entity.js';
import { answersHttp, CLEAN_INCOMING, collectTail, DEPLOY_DIR, INCOMING, MANIFEST_MARK, manifestOf, PREPARE_DEPLOY, RESTART_PROGRAMS, RESTORE, settled, STATE, switchBack, switchIn } from './release-steps.js';
import { ReleaseLog } from './release-log.js';
import { pruneReleases } from './release-prune.js';
import { ReleaseStore, TooLargeError } from './release-store.js';
import { NodeDirectory } from '../containers/node-directory.js';

const STEP_TIMEOUT_MS = 120_000;
/** The running tree is read to compare it, up to twice the new archive's files and at least this. */
const READ_MIN_BYTES = 64 * 1024 * 1024;
/** The runtime images' user `app` (docker/runtimes/runtime-base), who owns /srv. */
const APP_UID = 1000;

/** What became of a release, for its operation: a failed release fails the operation, the app keeps running. */
export interface ReleaseOutcome {
  message: string;
  failed: boolean;
}

/**
 * Carries out an app's deploying release inside its running container, as a step of the app's
 * job (so nothing else acts on the app meanwhile):
 *
 * 1. the archive is unpacked beside /srv/app (`/srv/.berth/deploy/incoming`), as the user `app`;
 * 2. berth.json's release command runs there with the app's environment (a non-zero exit ends it);
 * 3. the new tree and /srv/app swap in one rename (RENAME_EXCHANGE): no request sees half of either;
 * 4. the programs restart, and the release is active once the app answers HTTP in time; otherwise
 *    the previous tree swaps back and restarts, and the release is failed with the reason.
 *
 * A state file records a swap done, so a retry after a crash resumes instead of swapping twice.
 */
@Injectable()
export class ReleaseDeployer {
  private readonly logger = new Logger('releases');

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(CONFIG) private readonly config: BerthConfig,
    @Inject(CONTAINER_DRIVER) private readonly driver: ContainerDriver,
    private readonly store: ReleaseStore,
    private readonly operations: OperationsService,
    private readonly nodes: NodeDirectory,
    private readonly environment: AppEnvironment,
  ) {}

  /** The release the operation being run deploys, if any; null when it has none. */
  async converge(app: App, operation: Operation | null): Promise<ReleaseOutcome | null> {
    if (app.deleting) {
      await this.store.removeApp(app.id);
      return null;
    }
    const release = await this.db.getRepository(Release).findOne({ where: { appId: app.id, status: 'deploying' } });
    // Each release runs in the round of its own operation, which then ends with its outcome.
    if (!release || operation === null || release.operationId !== operation.id) return null;
    const log = new ReleaseLog(this.db, this.operations, release, app.companyId, await appSecretMask(this.environment, app.id, this.driver));
    if (!app.enabled) return this.fail(release, log, 'the app was stopped before the release could deploy');
    return release.source === 'srv' ? this.snapshot(app, release, log) : this.deploy(app, release, log);
  }

  /** The operation ended in error after its last try: its release fails with it. */
  async abandon(operationId: number, message: string, tx: EntityManager = this.db.manager): Promise<void> {
    await tx.getRepository(Release).update({ operationId, status: 'deploying' }, { status: 'failed', message, finishedAt: () => 'now()' });
  }

  private async deploy(app: App, release: Release, log: ReleaseLog): Promise<ReleaseOutcome> {
    const v = release.version;
    const state = await this.sh(app.id, `cat ${STATE} 2>/dev/null || true`);
    let switched: string;
    if (state.stdout.trim() === `swapped ${v}`) {
      // A retry after the switch was made (the worker died): only the restart is left.
      await log.step("restarting the app's programs");
      switched = await this.restartPrograms(app.id);
    } else {
      const back = await this.switchedBack(app.id, release, log);
      if (back !== null) switched = back;
      else {
        const done = await this.unpackAndSwitch(app.id, release, log);
        if (typeof done !== 'string') return done;
        switched = done;
      }
    }
    const manifest = manifestOf(this.programsRestarted(switched, log));
    const healthPath = 'error' in manifest ? '/' : (manifest.healthPath ?? '/');
    const seconds = Math.round(this.config.releases.healthTimeoutMs / 100) / 10;
    const current = await this.db.getRepository(App).findOneByOrFail({ id: app.id });
    // Asked at once: the step's log line is written while the app starts.
    const answering = answersHttp((await this.nodes.hostOf(current.node)) ?? '', current.hostPort, healthPath, this.config.releases.healthTimeoutMs);
    await log.step(`waiting up to ${seconds} s for HTTP on port ${app.appPort} (${healthPath})`);
    const answer = await answering;
    if (answer === null) {
      await log.step('no answer: swapping the previous tree back and restarting');
      await this.check(app.id, RESTORE, 'restoring the previous tree');
      this.programsRestarted(await this.restartPrograms(app.id), log);
      return this.fail(release, log, `the app did not answer HTTP on port ${app.appPort} within ${seconds} s; the previous release was restored`);
    }
    log.line(`the app answers HTTP ${answer}`);
    await this.check(app.id, settled(release.archive!), 'recording the active tree');
    return this.activate(release, log, current.configRunningVersion);
  }

  /** A rollback to the release active before: its tree is still beside /srv/app and swaps in. The switch's output, or null. */
  private async switchedBack(appId: number, release: Release, log: ReleaseLog): Promise<string | null> {
    if (release.source !== 'rollback') return null;
    const run = await this.sh(appId, `set -e; mkdir -p ${DEPLOY_DIR}; ${switchBack(release.version, release.archive!)}`);
    if (run.exitCode === 3) return null;
    if (run.exitCode !== 0) throw new Error(`switching /srv/app failed (exit ${run.exitCode}): ${(run.stderr || run.stdout).trim().slice(-300)}`);
    await log.step(`switched /srv/app to the tree of release ${release.rollbackOf}, kept beside it, and restarted the app's programs`);
    return run.stdout;
  }

  /** Unpacks beside /srv/app, runs the release command, switches: the switch's output, or the failure when the release is at fault. */
  private async unpackAndSwitch(appId: number, release: Release, log: ReleaseLog): Promise<string | ReleaseOutcome> {
    const began = Date.now();
    const archive = await this.store.manifest(appId, release.archive!);
    // berth.json as the archive's manifest holds it; read in the tree only when it is a link.
    const plain = ['file', undefined].includes(archive.entries['berth.json']?.type);
    let manifest = manifestOf(plain ? (archive.berthJson ?? '') : '');
    // A release command may write to files in place, and a linked file is the running tree's too.
    const linking = plain && !('error' in manifest) && !manifest.release ? prepareAndLink(this.driver, appId) : null;
    if (!linking) await this.check(appId, PREPARE_DEPLOY, 'preparing the deploy directory');
    const linked = linking ? await this.linkedTree(appId, linking, archive) : null;
    let problem: string | null;
    if (linked && 'change' in linked) {
      const { change } = linked;
      await log.step(`unpacking the ${change.unpack.size} changed entries of the archive beside /srv/app; its ${change.unchanged} unchanged files are linked from the running tree`);
      log.line(`prepared (${linked.prepared - began} ms); ${linked.timing}; linked and removed what changed (${Date.now() - linked.prepared} ms in all)`);
      const unpacking = Date.now();
      problem = await this.unpack(appId, release.archive!, (path) => change.unpack.has(path));
      if (problem === null) log.line(`tar unpacked the changed entries (${Date.now() - unpacking} ms)`);
    } else {
      if (linked) log.line(`the running tree could not be linked, so the whole archive is unpacked: ${linked.problem}`);
      // What a failed link left behind (links, partly removed) goes: the archive is unpacked into an empty place.
      if (linked) await this.check(appId, `rm -rf ${INCOMING} && mkdir -p ${INCOMING}`, 'emptying the deploy directory');
      await log.step('unpacking the archive beside /srv/app');
      problem = await this.unpack(appId, release.archive!);
    }
    if (problem !== null) return this.fail(release, log, `unpacking failed (is /srv full? the old and the new tree must both fit): ${problem}`, true);
    if (!plain) manifest = manifestOf((await this.sh(appId, `head -c 65536 ${INCOMING}/berth.json 2>/dev/null || true`)).stdout);
    if ('error' in manifest) return this.fail(release, log, manifest.error, true);
    if (manifest.release && release.source === 'archive') {
      await log.step(`running the release command: ${manifest.release}`);
      const exitCode = await this.releaseCommand(appId, release.version, manifest.release, log);
      if (exitCode !== 0) return this.fail(release, log, `the release command ${exitCode === 124 ? 'ran out of time' : `exited with code ${exitCode}`}; the running release is untouched`, true);
    }
    await log.step("switching /srv/app to the new tree and restarting the app's programs");
    return this.check(appId, switchIn(release.version), 'switching /srv/app');
  }

  /** Archives what /srv/app holds now into the store; it is what runs, so it is active at once. */
  private async snapshot(app: App, release: Release, log: ReleaseLog): Promise<ReleaseOutcome> {
    await log.step('archiving /srv/app');
    const plan = await this.db.getRepository(Plan).findOneByOrFail({ id: app.planId });
    const limit = Math.min(this.config.releases.archiveMaxBytes, plan.disk * 1024 ** 3);
    // What an upload may unpack to bounds the tar too, before it is compressed (here, not in the
    // container: its CPU is the plan's): a sparse file of terabytes compresses to little, and would
    // keep a worker compressing zeros for as long. The image's tar, by its path.
    const tarMax = tarBytesMax(releaseLimits(this.config.releases, plan.disk * 1024 ** 3));
    const session = await this.driver.exec(app.id, ['/usr/bin/tar', '-cf', '-', '-C', '/srv/app', '.']);
    session.stdin.end();
    const stderr = collectTail(session.stderr);
    let stored: { name: string; size: number };
    try {
      stored = await this.store.write(app.id, gzipUpTo(session.stdout, tarMax), limit);
    } catch (err) {
      session.socket.destroy();
      if (err instanceof TarTooLargeError) {
        return this.fail(release, log, `/srv/app archives to more than ${err.limit} bytes of tar, past what a release may unpack to (RELEASE_UNPACKED_MAX, or the plan's disk)`);
      }
      if (err instanceof TooLargeError) return this.fail(release, log, `/srv/app archives to more than the ${limit} bytes a release may hold`);
      throw err;
    }
    const exitCode = await session.exit;
    // 1: a file changed while it was read (a log, say); the archive is still whole.
    if (exitCode !== 0 && exitCode !== 1) {
      await this.store.remove(app.id, stored.name);
      return this.fail(release, log, `archiving /srv/app failed: ${(await stderr).trim()}`);
    }
    const du = await this.sh(app.id, 'du -sb /srv/app | cut -f1');
    await this.db.getRepository(Release).update({ id: release.id }, { archive: stored.name, archiveSize: stored.size, size: Number(du.stdout.trim()) || 0 });
    await this.check(app.id, settled(stored.name), 'recording the active tree');
    const current = await this.db.getRepository(App).findOneByOrFail({ id: app.id });
    return this.activate(release, log, current.configRunningVersion);
  }

  private async activate(release: Release, log: ReleaseLog, configVersion: number): Promise<ReleaseOutcome> {
    log.line(`release ${release.version} is active`);
    await this.db.transaction(async (tx) => {
      await tx.getRepository(Release).update({ appId: release.appId, status: 'active' }, { status: 'superseded' });
      await tx.getRepository(Release).update(
        { id: release.id },
        { status: 'active', activatedAt: () => 'now()', finishedAt: () => 'now()', configVersion: release.configVersion ?? configVersion, log: log.text(), message: 'active' },
      );
    });
    const pruned = await pruneReleases(this.db, this.store, release.appId, this.config.releases);
    if (pruned.length > 0) this.logger.log({ appId: release.appId, pruned }, 'pruned old releases');
    return { message: `release ${release.version} is active`, failed: false };
  }

  private async fail(release: Release, log: ReleaseLog, reason: string, clean = false): Promise<ReleaseOutcome> {
    log.line(`failed: ${reason}`);
    if (clean) await this.sh(release.appId, CLEAN_INCOMING);
    await this.db.getRepository(Release).update({ id: release.id }, { status: 'failed', message: reason, finishedAt: () => 'now()', log: log.text() });
    // Failed releases count toward what is kept too: a pipeline failing in a loop cannot fill the store.
    await pruneReleases(this.db, this.store, release.appId, this.config.releases);
    return { message: `release ${release.version} failed: ${reason}`, failed: true };
  }

  /**
   * Unpacks the archive (its members `keep` accepts) beside /srv/app, as the app's user: a tar in the
   * container reads it from stdin, decompressed here (so its CPU is not the plan's). Never the
   * engine's own unpacking: it runs as root and follows links the tenant plants in the directory it
   * unpacks into, into the container's read-only root filesystem
   * (test/security/release-unpack-links.e2e.test.ts). It never lands in /srv as an archive.
   */
  private async unpack(appId: number, archive: string, keep?: (path: string) => boolean): Promise<string | null> {
    // By its path: the image's, which the tenant cannot change, not a `tar` of theirs in /srv/bin.
    const session = await this.driver.exec(appId, ['/usr/bin/tar', '-x', '-f', '-', '-C', INCOMING, '--no-same-owner']);
    const stderr = collectTail(session.stderr);
    session.stdout.resume();
    // A tar that stops early (/srv full) closes its stdin: its own message says why, not the EPIPE.
    const owner = new TarOwner(APP_UID, APP_UID, 'app', keep);
    // The feeding stops when tar exits: tar stops reading at the archive's end and leaves the zeros
    // that pad it unread, and what is still on its way would wait for ever for a reader that is gone.
    const stop = new AbortController();
    const feeding = pipelineAsync(this.store.read(appId, archive), gunzip(), owner, session.stdin, { signal: stop.signal }).then(
      () => null,
      (err: Error) => err,
    );
    const exitCode = await within(session.exit, STEP_TIMEOUT_MS, 'unpacking the archive').finally(() => {
      stop.abort();
      session.socket.destroy();
    });
    const fed = await feeding;
    if (exitCode !== 0) return (await stderr).trim().split('\n').slice(-3).join('; ') || `tar exited with code ${exitCode}`;
    // Once the archive's end went to tar, an exit 0 says it unpacked all of it, whatever was left unsent.
    if (fed && !owner.ended) throw fed;
    return null;
  }

  /**
   * `incoming` made of links to /srv/app's files, less those that differ from the new archive's
   * (`after`), compared file by file by contents: what is left to unpack (and when the preparing
   * was done), or the problem that came once linking had begun. When /srv/app is known to be an
   * archive (nothing in it changed since it became active), that archive's manifest stands for it;
   * otherwise the engine reads it while the container links it: neither waits for the other.
   * Throws when the preparing failed.
   */
  private async linkedTree(appId: number, linking: PreparedLinking, after: TarManifest): Promise<{ change: TreeChange; timing: string; prepared: number } | { problem: string }> {
    const running = await linking.known.catch(async (err: Error) => {
      await linking.linked;
      throw err;
    });
    const prepared = Date.now();
    if (ReleaseStore.isName(running) && (await this.store.exists(appId, running))) {
      const change = treeChange(await this.store.manifest(appId, running), after);
      const problem = (await linking.linked) ?? (await removeFromIncoming(this.driver, appId, change.remove));
      return problem === null ? { change, prepared, timing: 'compared with the manifest of the archive /srv/app was made from' } : { problem };
    }
    const took = (work: Promise<unknown>) => work.then(() => Date.now() - prepared);
    // A running tree much larger than the new one costs more to read than the new one to unpack.
    const reading = runningManifest(this.driver, appId, Math.max(READ_MIN_BYTES, 2 * sizeOf(after)));
    const [readMs, linkMs] = await Promise.all([took(reading), took(linking.linked)]);
    const now = await reading;
    if (!now) return { problem: 'the running tree could not be read whole' };
    const change = treeChange(now, after);
    const problem = (await linking.linked) ?? (await removeFromIncoming(this.driver, appId, change.remove));
    return problem === null ? { change, prepared, timing: `read /srv/app through the engine (${readMs} ms) while linking it (${linkMs} ms)` } : { problem };
  }

  private async releaseCommand(appId: number, version: number, command: string, log: ReleaseLog): Promise<number | null> {
    const seconds = String(Math.ceil(this.config.releases.commandTimeoutMs / 1000));
    const session = await this.driver.exec(appId, ['timeout', '-k', '10', seconds, 'sh', '-c', command], { workingDir: INCOMING, env: { BERTH_RELEASE: String(version) } });
    session.stdin.end();
    await Promise.all([log.follow(session.stdout), log.follow(session.stderr)]);
    return session.exit;
  }

  /** Restarts the programs; what they printed, the manifest after its mark. */
  private async restartPrograms(appId: number): Promise<string> {
    const run = await this.sh(appId, RESTART_PROGRAMS);
    return `${run.stdout}${run.stderr}`;
  }

  /** Logs what a restart printed; the berth.json it printed after its mark. */
  private programsRestarted(output: string, log: ReleaseLog): string {
    const at = output.indexOf(MANIFEST_MARK);
    const restarted = at === -1 ? output : output.slice(0, at);
    for (const line of restarted.split('\n')) if (line.trim()) log.line(`supervisord: ${line.trim()}`);
    return at === -1 ? '' : output.slice(at + MANIFEST_MARK.length + 1);
  }

  private sh(appId: number, script: string) {
    return this.driver.run(appId, ['sh', '-c', script], STEP_TIMEOUT_MS);
  }

  /** A step that must work; when it does not, the job retries (the engine or the container is at fault, not the release). Its output. */
  private async check(appId: number, script: string, what: string): Promise<string> {
    const run = await this.sh(appId, `set -e; mkdir -p ${DEPLOY_DIR}; ${script}`);
    if (run.exitCode !== 0) throw new Error(`${what} failed (exit ${run.exitCode}): ${(run.stderr || run.stdout).trim().slice(-300)}`);
    return run.stdout;
  }
}
