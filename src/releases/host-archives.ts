import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createReadStream } from 'node:fs';
import { readdir, readFile, rm, rmdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { every, type Periodic } from '../common/periodic.js';
import { BerthConfig } from '../config/config.js';
import { CONFIG } from '../config/config.module.js';
import { Release } from './entities/release.entity.js';
import { HostCopies } from './host-copies.js';
import { alwaysKept } from './release-prune.js';
import { CHUNK_BYTES, insertChunk, markComplete, ReleaseStore } from './release-store.js';

/**
 * Brings this host's archive copies (HostCopies) in line with the database when an API or a worker
 * starts, and every `releases.hostCheckEveryMs` after. A file the database lacks that a release
 * names was kept by an earlier Berth, which stored archives only on the host: it moves into the
 * database (and stays as the copy), so no kept release loses its files. One no release names is a
 * copy of an archive since pruned, or an upload a crash cut short: it goes. Pruning runs in the
 * worker, which removes its own host's copy; a host that runs only the API would otherwise keep
 * the copies of every archive it ever took. An old copy that no deploy is likely to read goes too
 * (worthKeeping): the database has the archive. Each move is one transaction holding a lock on
 * the archive's name, so processes checking together move it once.
 */
@Injectable()
export class HostArchives implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('releases');
  private periodic: Periodic | null = null;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(CONFIG) private readonly config: BerthConfig,
    private readonly copies: HostCopies,
  ) {}

  /** In the background: a large store must not hold up the start. */
  onApplicationBootstrap(): void {
    const failed = (err: Error) => this.logger.warn(`this host's release archive copies were not all checked against the database: ${err.message}`);
    this.periodic = every(this.config.releases.hostCheckEveryMs, () => this.reconcile(), failed, 0);
  }

  onApplicationShutdown(): void {
    this.periodic?.stop();
  }

  async reconcile(): Promise<{ moved: number; removed: number }> {
    let moved = 0;
    let removed = 0;
    let failed: Error | null = null;
    for (const app of await entries(this.copies.root)) {
      if (!/^\d+$/.test(app)) continue;
      const appId = Number(app);
      for (const name of await entries(join(this.copies.root, app))) {
        const file = join(this.copies.root, app, name);
        // One file that cannot be checked (gone meanwhile: another process on this host checks
        // too) must not keep the others from being checked; the first failure is reported.
        try {
          if (name.startsWith('.') && name.endsWith('.partial')) {
            if (Date.now() - (await stat(file)).mtimeMs > STALE_PARTIAL_MS) await rm(file, { force: true });
            continue;
          }
          if (!ReleaseStore.isName(name)) continue;
          const outcome = await this.check(appId, name, file);
          if (outcome === 'moved') moved++;
          if (outcome === 'removed') removed++;
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') failed ??= err as Error;
        }
      }
      await rmdir(join(this.copies.root, app)).catch(() => undefined);
    }
    if (moved + removed > 0) this.logger.log({ moved, removed, dir: this.copies.root }, 'checked the release archive copies on this host against the database');
    if (failed) throw failed;
    return { moved, removed };
  }

  private async check(appId: number, name: string, file: string): Promise<'kept' | 'moved' | 'removed'> {
    const runner = this.db.createQueryRunner();
    await runner.connect();
    try {
      await runner.startTransaction();
      const [lock] = await runner.query('SELECT pg_try_advisory_xact_lock(hashtext($1)) AS got', [`release-archive:${appId}:${name}`]);
      const stored: unknown[] = await runner.query('SELECT 1 FROM release_archives WHERE app_id = $1 AND name = $2', [appId, name]);
      if (!lock.got) {
        await runner.rollbackTransaction();
        return 'kept';
      }
      if (stored.length > 0) {
        await runner.rollbackTransaction();
        if (await this.worthKeeping(appId, name, file)) return 'kept';
        // Kept in the database for a rollback further back; a copy of every kept release would
        // double the disk they take here.
        await removeWithManifest(file);
        return 'removed';
      }
      const named: unknown[] = await runner.query('SELECT 1 FROM releases WHERE app_id = $1 AND archive = $2 LIMIT 1', [appId, name]);
      if (named.length === 0) {
        await runner.rollbackTransaction();
        await removeWithManifest(file);
        return 'removed';
      }
      const manifest = await readFile(`${file}.manifest.json`, 'utf8').catch(() => null);
      await runner.query('INSERT INTO release_archives (app_id, name, manifest) VALUES ($1, $2, $3)', [appId, name, manifest]);
      let seq = 0;
      let size = 0;
      for await (const chunk of createReadStream(file, { highWaterMark: CHUNK_BYTES })) {
        size += (chunk as Buffer).length;
        await insertChunk(runner, appId, name, seq++, chunk as Buffer);
      }
      await markComplete(runner, appId, name, size, seq);
      await runner.commitTransaction();
      // The manifest is in the database now; the archive stays as this host's copy.
      await rm(`${file}.manifest.json`, { force: true });
      return 'moved';
    } catch (err) {
      if (runner.isTransactionActive) await runner.rollbackTransaction();
      throw err;
    } finally {
      await runner.release();
    }
  }

  /**
   * Whether the copy of an archive the database holds is worth its disk: it is the archive of a
   * release pruning always keeps (active, deploying, or the one a rollback goes back to), or it is
   * new (an upload whose release is not recorded yet, a deploy queued behind another).
   */
  private async worthKeeping(appId: number, name: string, file: string): Promise<boolean> {
    if (Date.now() - (await stat(file)).mtimeMs < NEW_COPY_MS) return true;
    const rows = await this.db.getRepository(Release).find({ where: { appId } });
    return alwaysKept(rows).some((r) => r.archive === name);
  }
}

// An upload this old that is still not whole was cut short by a crash.
const STALE_PARTIAL_MS = 3600_000;
// A copy younger than this is kept whatever its release: it may not be recorded yet.
const NEW_COPY_MS = 3600_000;

async function entries(dir: string): Promise<string[]> {
  return readdir(dir).catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? [] : Promise.reject(err)));
}

async function removeWithManifest(file: string): Promise<void> {
  await rm(file, { force: true });
  await rm(`${file}.manifest.json`, { force: true });
}
