// The release store against PostgreSQL itself: archives of several chunks come back byte for byte
// from the database (no host copy), a gap in the chunks fails the read rather than ending it early,
// and a host copy removed while it is read is read whole.
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HostCopies } from '../dist/src/releases/host-copies.js';
import { ReleaseStore } from '../dist/src/releases/release-store.js';
import { useBerth } from './support/fixture.js';
import { register } from './support/http.js';

const fx = useBerth('release_store');
const copiesDir = mkdtempSync(join(tmpdir(), 'berth-store-copies-'));
let db: DataSource;
let store: ReleaseStore;
let copies: HostCopies;
let appId: number;

beforeAll(async () => {
  db = await new DataSource({ type: 'postgres', url: fx.db.url, poolSize: 8 }).initialize();
  copies = new HostCopies({ releases: { hostDir: copiesDir }, docker: { namePrefix: 'store' } } as never);
  store = new ReleaseStore(db, copies);
  const owner = await register(fx.api, 'Store Owner');
  const [plan] = (await db.query('SELECT id FROM plans ORDER BY id LIMIT 1')) as Array<{ id: number }>;
  const [runtime] = (await db.query('SELECT image FROM runtimes LIMIT 1')) as Array<{ image: string }>;
  const [app] = (await db.query('INSERT INTO apps (company_id, name, image, plan_id, host_port, ssh_port) VALUES ($1, $2, $3, $4, 1, 1) RETURNING id', [owner.company.id, 'store', runtime.image, plan.id])) as Array<{ id: number }>;
  appId = app.id;
});
afterAll(async () => {
  await db?.destroy();
  rmSync(copiesDir, { recursive: true, force: true });
});

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

describe('the release store', () => {
  it('gives back an archive of several chunks from the database byte for byte, and fails on a missing chunk', async () => {
    const bytes = randomBytes(3.5 * 1024 ** 2);
    const { name, size } = await store.write(appId, Readable.from([bytes.subarray(0, 1_000_000), bytes.subarray(1_000_000)]), 10 * 1024 ** 2);
    expect(size).toBe(bytes.length);
    expect(await readAll(store.read(appId, name))).toEqual(bytes);
    // Without this host's copy, from the database.
    await copies.remove(appId, name);
    const [row] = (await db.query('SELECT chunks FROM release_archives WHERE app_id = $1 AND name = $2', [appId, name])) as Array<{ chunks: number }>;
    expect(row.chunks).toBe(4);
    expect((await readAll(store.read(appId, name))).equals(bytes)).toBe(true);
    await db.query('DELETE FROM release_archive_chunks WHERE app_id = $1 AND name = $2 AND seq = 2', [appId, name]);
    await expect(readAll(store.read(appId, name))).rejects.toThrow(`lacks its chunk 2`);
    await store.remove(appId, name);
    await expect(readAll(store.read(appId, name))).rejects.toThrow('is not in the release store');
  });

  // A real refusal from PostgreSQL: of a chunk in the middle, while the next ones are being stored,
  // and of the last one (7 chunks), which only the end of the write can see.
  it.each([2, 6])('fails a write whose chunk %i the database refuses, leaving no archive, chunk or host copy behind', async (refused) => {
    await db.query(`CREATE FUNCTION refuse_chunk() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.seq = ${refused} THEN RAISE EXCEPTION 'chunk refused for the test'; END IF; RETURN NEW; END $$`);
    await db.query('CREATE TRIGGER refuse_chunk BEFORE INSERT ON release_archive_chunks FOR EACH ROW EXECUTE FUNCTION refuse_chunk()');
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const before = (await db.query('SELECT name FROM release_archives WHERE app_id = $1', [appId])) as Array<{ name: string }>;
      const bytes = randomBytes(6.5 * 1024 ** 2);
      const parts = Array.from({ length: 13 }, (_, i) => bytes.subarray(i * 512 * 1024, (i + 1) * 512 * 1024));
      await expect(store.write(appId, Readable.from(parts), 10 * 1024 ** 2)).rejects.toThrow('chunk refused for the test');
      await new Promise((r) => setTimeout(r, 500));
      const after = (await db.query('SELECT name FROM release_archives WHERE app_id = $1', [appId])) as Array<{ name: string }>;
      expect(after).toEqual(before);
      const orphans = (await db.query('SELECT count(*)::int AS n FROM release_archive_chunks c WHERE app_id = $1 AND NOT EXISTS (SELECT 1 FROM release_archives a WHERE a.app_id = c.app_id AND a.name = c.name)', [appId])) as Array<{ n: number }>;
      expect(orphans[0].n).toBe(0);
      expect(readdirSync(copiesDir, { recursive: true }).filter((f) => String(f).endsWith('.tar.gz'))).toEqual(before.map((b) => expect.stringContaining(b.name)));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      await db.query('DROP TRIGGER refuse_chunk ON release_archive_chunks');
      await db.query('DROP FUNCTION refuse_chunk()');
    }
    // The store takes the next archive as before.
    const next = randomBytes(3 * 1024 ** 2);
    const { name } = await store.write(appId, Readable.from([next]), 10 * 1024 ** 2);
    await copies.remove(appId, name);
    expect((await readAll(store.read(appId, name))).equals(next)).toBe(true);
    await store.remove(appId, name);
  });

  it('reads a host copy removed after the read began whole, and the database when the copy is gone', async () => {
    const bytes = randomBytes(2.5 * 1024 ** 2);
    const { name } = await store.write(appId, Readable.from([bytes]), 10 * 1024 ** 2);
    const [first] = (await db.query('SELECT data FROM release_archive_chunks WHERE app_id = $1 AND name = $2 AND seq = 0', [appId, name])) as Array<{ data: Buffer }>;
    // The copy is what is read while it is there: one that differs from the database shows it.
    const file = copies.path(appId, name);
    writeFileSync(file, Buffer.concat([Buffer.from('copy:'), bytes]));
    const reading = store.read(appId, name);
    // Removed (as HostArchives drops old copies) once the read has begun: still read whole.
    rmSync(file);
    expect((await readAll(reading)).subarray(0, 5).toString()).toBe('copy:');
    expect((await readAll(store.read(appId, name))).equals(bytes)).toBe(true);
    expect(first.data.equals(bytes.subarray(0, 1024 ** 2))).toBe(true);
  });
});
