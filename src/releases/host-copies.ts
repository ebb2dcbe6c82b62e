import { Inject, Injectable, Logger } from '@nestjs/common';
import { createReadStream, createWriteStream, openSync, ReadStream, WriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { BerthConfig } from '../config/config.js';
import { CONFIG } from '../config/config.module.js';

/**
 * Copies of release archives on this host's disk (RELEASES_DIR/<name prefix>/<app id>/<name>.tar.gz),
 * beside the database that holds them (ReleaseStore). A worker on the host that took an upload,
 * which on one machine is every worker, unpacks it from here at the speed of a file; any other
 * reads the database. A copy is only ever a copy: written beside the upload and renamed into place
 * once whole, never the only one, and a copy that cannot be written is done without (said once).
 */
@Injectable()
export class HostCopies {
  private readonly logger = new Logger('releases');
  readonly root: string;

  constructor(@Inject(CONFIG) config: BerthConfig) {
    this.root = join(config.releases.hostDir, config.docker.namePrefix);
  }

  path(appId: number, name: string): string {
    return join(this.root, String(appId), name);
  }

  /**
   * The copy's bytes, or null when this host has none. Opened here and now: a copy removed a moment
   * later (HostArchives drops those no deploy is likely to need) is still read whole.
   */
  open(appId: number, name: string): ReadStream | null {
    const file = this.path(appId, name);
    try {
      return createReadStream(file, { fd: openSync(file, 'r') });
    } catch (err) {
      // Only ever a copy: the database has the archive.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.logger.warn(`a release archive copy could not be opened; reading the database instead: ${(err as Error).message}`);
      return null;
    }
  }

  /** A copy being written; it takes the name `name` only on commit(). */
  async writer(appId: number, name: string): Promise<HostCopyWriter> {
    const dir = join(this.root, String(appId));
    const partial = join(dir, `.${name}.partial`);
    const file = await mkdir(dir, { recursive: true, mode: 0o700 }).then(
      () => createWriteStream(partial, { mode: 0o600 }),
      (err: Error) => this.without(err),
    );
    return new HostCopyWriter(file, partial, join(dir, name), (err) => this.without(err));
  }

  async remove(appId: number, name: string): Promise<void> {
    await rm(this.path(appId, name), { force: true });
  }

  async removeApp(appId: number): Promise<void> {
    await rm(join(this.root, String(appId)), { recursive: true, force: true });
  }

  private without(err: Error): null {
    this.logger.warn(`a release archive is kept in the database only, with no copy on this host: ${err.message}`);
    return null;
  }
}

export class HostCopyWriter {
  private failed = false;

  constructor(
    private file: WriteStream | null,
    private readonly partial: string,
    private readonly final: string,
    private readonly onError: (err: Error) => void,
  ) {
    file?.on('error', (err) => {
      if (!this.failed) onError(err);
      this.failed = true;
    });
  }

  /** Resolves once the copy can take more; a copy that failed takes nothing more. */
  async write(chunk: Buffer): Promise<void> {
    const file = this.file;
    if (!file || this.failed || file.write(chunk)) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        file.off('drain', done);
        file.off('close', done);
        resolve();
      };
      file.on('drain', done);
      file.on('close', done);
    });
  }

  async commit(): Promise<void> {
    const file = this.file;
    if (!file) return;
    this.file = null;
    if (!this.failed) await new Promise<void>((resolve) => file.end(resolve));
    if (this.failed) return void (await rm(this.partial, { force: true }));
    await rename(this.partial, this.final).catch(async (err: Error) => {
      this.onError(err);
      await rm(this.partial, { force: true });
    });
  }

  async discard(): Promise<void> {
    const file = this.file;
    this.file = null;
    file?.destroy();
    await rm(this.partial, { force: true });
  }
}
