import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomBytes } from 'node:crypto';
import { Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DataSource } from 'typeorm';
import { Manifest, readManifest } from './archive/tar-manifest.js';
import { HostCopies, HostCopyWriter } from './host-copies.js';

/** More bytes arrived than the limit allows. */
export class TooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`larger than ${limit} bytes`);
  }
}

/** Whatever runs SQL: the DataSource, or a QueryRunner inside a transaction. */
interface Sql {
  query(text: string, params: unknown[]): Promise<unknown>;
}

/** Chunk `seq` of an archive. */
export function insertChunk(sql: Sql, appId: number, name: string, seq: number, data: Buffer): Promise<unknown> {
  return sql.query('INSERT INTO release_archive_chunks (app_id, name, seq, data) VALUES ($1, $2, $3, $4)', [appId, name, seq, data]);
}

/** The archive is whole: readers may have it from now on. */
export function markComplete(sql: Sql, appId: number, name: string, size: number, chunks: number): Promise<unknown> {
  return sql.query('UPDATE release_archives SET size = $3, chunks = $4, complete = true WHERE app_id = $1 AND name = $2', [appId, name, size, chunks]);
}

/** The archive is not (or no longer) in the store. */
export class ArchiveMissingError extends Error {}

// Big enough that a 256 MiB archive is a few hundred rows, small enough that one is cheap to hold.
export const CHUNK_BYTES = 1024 * 1024;
// Chunk inserts an upload keeps running at once. Storing a chunk costs PostgreSQL far more CPU
// (TOAST, WAL) than receiving it costs Berth; two backends store a 34 MB archive in about half the
// time one takes (bench/README.md, session 24).
const INSERTS_AHEAD = 2;
// Chunks a reader asks for before it needs them: what hides the database's round trips.
const READ_AHEAD = 4;
// An upload this old and still not whole was cut short by a crash: the app's next write drops it.
const STALE_PARTIAL = '1 hour';

/**
 * Release archives in PostgreSQL (release_archives, release_archive_chunks), which every role of
 * every machine reaches: the API that takes an upload, the worker that deploys it and the API that
 * checks a rollback need not share a disk. The host that takes an upload keeps a copy too
 * (HostCopies), which its workers read instead. Outside every app's /srv, so keeping releases never
 * eats the plan's disk. An archive is written in chunks as it arrives and becomes readable only
 * once whole (`complete`), so a reader never sees half of one.
 */
@Injectable()
export class ReleaseStore {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly copies: HostCopies,
  ) {}

  /** Whether `name` is one the store gives its archives. */
  static isName(name: string): boolean {
    return /^[a-z0-9]+\.tar\.gz$/.test(name);
  }

  /**
   * Writes `source` to a new archive of the app, at most `limit` bytes; its name and size. `tee`
   * gets every byte too, as it arrives (the archive's check); should it stop reading, so does this.
   */
  async write(appId: number, source: NodeJS.ReadableStream, limit: number, tee?: Writable): Promise<{ name: string; size: number }> {
    await this.db.query(`DELETE FROM release_archives WHERE app_id = $1 AND NOT complete AND created_at < now() - interval '${STALE_PARTIAL}'`, [appId]);
    const name = `${randomBytes(12).toString('hex')}.tar.gz`;
    await this.db.query('INSERT INTO release_archives (app_id, name) VALUES ($1, $2)', [appId, name]);
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
    const copy = await this.copies.writer(appId, name);
    try {
      const writer = this.chunkWriter(appId, name, copy);
      await pipeline(bound, writer.stream);
      await markComplete(this.db, appId, name, size, writer.count());
      await copy.commit();
    } catch (err) {
      source.unpipe(bound);
      source.resume();
      await copy.discard();
      await this.remove(appId, name).catch(() => undefined);
      throw err;
    } finally {
      source.removeListener('error', failed);
    }
    return { name, size };
  }

  /**
   * Stores what it is given as chunks of CHUNK_BYTES (the last one shorter), and in this host's
   * copy. Up to INSERTS_AHEAD chunks' inserts run while the next one fills: the upload waits for
   * the database only when it is that many whole chunks ahead.
   */
  private chunkWriter(appId: number, name: string, copy: HostCopyWriter): { stream: Writable; count: () => number } {
    const db = this.db;
    let parts: Buffer[] = [];
    let bytes = 0;
    let seq = 0;
    const inserting = new Set<Promise<void>>();
    let failure: Error | null = null;
    /** Starts inserting the first `length` bytes held, once fewer than INSERTS_AHEAD inserts run. */
    const store = async (length: number) => {
      while (inserting.size >= INSERTS_AHEAD) await Promise.race(inserting);
      if (failure) throw failure;
      const held = Buffer.concat(parts, bytes);
      const rest = held.subarray(length);
      parts = rest.length > 0 ? [rest] : [];
      bytes = rest.length;
      // Settles without rejecting: its failure is seen by the next store() or by final(), never left unhandled.
      const insert: Promise<void> = insertChunk(db, appId, name, seq++, held.subarray(0, length)).then(
        () => void inserting.delete(insert),
        (err: Error) => {
          inserting.delete(insert);
          failure ??= err;
        },
      );
      inserting.add(insert);
    };
    const settled = async () => {
      await Promise.all(inserting);
      if (failure) throw failure;
    };
    const full = async () => {
      while (bytes >= CHUNK_BYTES) await store(CHUNK_BYTES);
    };
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        parts.push(chunk);
        bytes += chunk.length;
        Promise.all([copy.write(chunk), full()]).then(() => done(), done);
      },
      final(done) {
        (bytes > 0 ? store(bytes) : Promise.resolve())
          .then(settled)
          .then(() => done(), done);
      },
      // A write that failed (or a refusal upstream) must not leave inserts running unseen behind it.
      destroy(err, done) {
        settled().then(
          () => done(err),
          () => done(err),
        );
      },
    });
    return { stream, count: () => seq };
  }

  /**
   * The archive's bytes: from this host's copy when it has one, else from the database a chunk at a
   * time, the next few asked for ahead (a deploy reads as fast as the engine unpacks); fails with
   * ArchiveMissingError when it is not in the store.
   */
  read(appId: number, name: string): NodeJS.ReadableStream {
    const copy = this.copies.open(appId, name);
    if (copy) return copy;
    const db = this.db;
    const chunk = (seq: number): Promise<Buffer> =>
      db.query('SELECT data FROM release_archive_chunks WHERE app_id = $1 AND name = $2 AND seq = $3', [appId, name, seq]).then((rows: Array<{ data: Buffer }>) => {
        // A whole archive has every chunk it counts: a gap must fail the read, never end it early.
        if (!rows[0]) throw new ArchiveMissingError(`release archive ${name} of app ${appId} lacks its chunk ${seq}`);
        return rows[0].data;
      });
    // The generator runs only as far as the reader pulls: at most READ_AHEAD chunks wait unread.
    async function* chunks(): AsyncGenerator<Buffer> {
      const rows: Array<{ chunks: number }> = await db.query('SELECT chunks FROM release_archives WHERE app_id = $1 AND name = $2 AND complete', [appId, name]);
      if (rows.length === 0) throw new ArchiveMissingError(`release archive ${name} of app ${appId} is not in the release store`);
      const ahead: Array<Promise<Buffer>> = [];
      for (let seq = 0; seq < rows[0].chunks; seq++) {
        const next = chunk(seq);
        // Awaited in turn below; never left unhandled while an earlier one is.
        next.catch(() => undefined);
        ahead.push(next);
        if (ahead.length > READ_AHEAD) yield await ahead.shift()!;
      }
      for (const next of ahead) yield await next;
    }
    return Readable.from(chunks(), { objectMode: false });
  }

  async exists(appId: number, name: string): Promise<boolean> {
    const rows: unknown[] = await this.db.query('SELECT 1 FROM release_archives WHERE app_id = $1 AND name = $2 AND complete', [appId, name]);
    return rows.length > 0;
  }

  /**
   * What the archive makes, path by path (tar-manifest.ts): read once, then kept beside it. A deploy
   * compares the running release's with the new one's to unpack only what changed.
   */
  async manifest(appId: number, name: string): Promise<Manifest> {
    const rows: Array<{ manifest: string | null }> = await this.db.query('SELECT manifest FROM release_archives WHERE app_id = $1 AND name = $2 AND complete', [appId, name]);
    if (rows[0]?.manifest) return JSON.parse(rows[0].manifest) as Manifest;
    const manifest = await readManifest(this.read(appId, name));
    await this.keepManifest(appId, name, manifest);
    return manifest;
  }

  /** Keeps the manifest the archive's check made as it came in, so no deploy reads the archive for it. */
  async keepManifest(appId: number, name: string, manifest: Manifest): Promise<void> {
    await this.db.query('UPDATE release_archives SET manifest = $3 WHERE app_id = $1 AND name = $2', [appId, name, JSON.stringify(manifest)]);
  }

  async remove(appId: number, name: string): Promise<void> {
    await this.db.query('DELETE FROM release_archives WHERE app_id = $1 AND name = $2', [appId, name]);
    await this.copies.remove(appId, name);
  }

  /** Every archive of an app (once it is deleted). */
  async removeApp(appId: number): Promise<void> {
    await this.db.query('DELETE FROM release_archives WHERE app_id = $1', [appId]);
    await this.copies.removeApp(appId);
  }
}
