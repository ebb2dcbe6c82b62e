import { Inject, Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BerthConfig } from '../config/config.js';
import { CONFIG } from '../config/config.module.js';
import { Manifest, readManifest } from './archive/tar-manifest.js';

/** More bytes arrived than the limit allows. */
export class TooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`larger than ${limit} bytes`);
  }
}

/**
 * Release archives on the host (RELEASES_DIR/<name prefix>/<app id>/<name>.tar.gz): outside every app's /srv,
 * so keeping releases never eats the plan's disk. A file is written under a temporary name and
 * renamed into place once whole, so a reader never sees half of one.
 */
@Injectable()
export class ReleaseStore {
  /** One directory per installation (its Docker name prefix), as installations sharing a host number their apps alike. */
  private readonly root: string;

  constructor(@Inject(CONFIG) config: BerthConfig) {
    this.root = join(config.releases.dir, config.docker.namePrefix);
  }

  /** Whether `name` is one the store gives its archives. */
  static isName(name: string): boolean {
    return /^[a-z0-9]+\.tar\.gz$/.test(name);
  }

  path(appId: number, name: string): string {
    if (!ReleaseStore.isName(name)) throw new Error(`not an archive name: ${name}`);
    return join(this.root, String(appId), name);
  }

  /**
   * Writes `source` to a new archive of the app, at most `limit` bytes; its name and size. `tee`
   * gets every byte too, as it arrives (the archive's check); should it stop reading, so does this.
   */
  async write(appId: number, source: NodeJS.ReadableStream, limit: number, tee?: Writable): Promise<{ name: string; size: number }> {
    const dir = join(this.root, String(appId));
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const name = `${randomBytes(12).toString('hex')}.tar.gz`;
    const partial = join(dir, `.${name}.partial`);
    let size = 0;
    const bound = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        size += chunk.length;
        if (size > limit) return done(new TooLargeError(limit));
        if (!tee) return done(null, chunk);
        if (tee.destroyed) return done(new Error('the archive check stopped reading'));
        if (tee.write(chunk)) return done(null, chunk);
        const resume = () => {
          tee.off('drain', resume);
          tee.off('close', resume);
          done(tee.destroyed ? new Error('the archive check stopped reading') : null, chunk);
        };
        tee.on('drain', resume);
        tee.on('close', resume);
      },
      flush(done) {
        tee?.end();
        done();
      },
    });
    // Piped by hand, not by pipeline(): a refusal must not destroy `source`. A request body left
    // whole is drained by Node after the answer, and the client's connection stays usable; one
    // destroyed would leave the client writing into a connection nobody reads.
    const failed = (err: Error) => bound.destroy(err);
    source.once('error', failed);
    source.pipe(bound);
    try {
      await pipeline(bound, createWriteStream(partial, { mode: 0o600 }));
      await rename(partial, join(dir, name));
    } catch (err) {
      source.unpipe(bound);
      source.resume();
      await rm(partial, { force: true });
      throw err;
    } finally {
      source.removeListener('error', failed);
    }
    return { name, size };
  }

  read(appId: number, name: string): NodeJS.ReadableStream {
    return createReadStream(this.path(appId, name));
  }

  async exists(appId: number, name: string): Promise<boolean> {
    return stat(this.path(appId, name)).then(
      () => true,
      () => false,
    );
  }

  /**
   * What the archive makes, path by path (tar-manifest.ts): read once, then kept beside it. A deploy
   * compares the running release's with the new one's to unpack only what changed.
   */
  async manifest(appId: number, name: string): Promise<Manifest> {
    const file = `${this.path(appId, name)}.manifest.json`;
    const kept = await readFile(file, 'utf8').then((text) => JSON.parse(text) as Manifest, () => null);
    if (kept) return kept;
    const manifest = await readManifest(this.read(appId, name));
    await this.keepManifest(appId, name, manifest);
    return manifest;
  }

  /** Keeps the manifest the archive's check made as it came in, so no deploy reads the archive for it. */
  async keepManifest(appId: number, name: string, manifest: Manifest): Promise<void> {
    const file = `${this.path(appId, name)}.manifest.json`;
    await writeFile(`${file}.partial`, JSON.stringify(manifest), { mode: 0o600 });
    await rename(`${file}.partial`, file);
  }

  async remove(appId: number, name: string): Promise<void> {
    await rm(this.path(appId, name), { force: true });
    await rm(`${this.path(appId, name)}.manifest.json`, { force: true });
  }

  /** Every archive of an app (once it is deleted). */
  async removeApp(appId: number): Promise<void> {
    await rm(join(this.root, String(appId)), { recursive: true, force: true });
  }
}
