import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { dockerEnv, removeInstallation } from './docker.js';
import { client, Client } from './http.js';
import { BerthProcess, removeKeys, startBerth } from './server.js';
import { createTestDatabase, REDIS_URL, TestDatabase } from './services.js';

export interface BerthFixture {
  db: TestDatabase;
  berth: BerthProcess;
  api: Client;
  /** The environment the server was started with (test-specific Docker names and ports included). */
  env: Record<string, string>;
}

/**
 * A fresh database and a Berth server on it for the whole test file, torn down
 * after. Every server gets Docker names and port blocks of its own, and what it
 * left in Docker is removed at the end.
 */
export function useBerth(label: string, env: Record<string, string> = {}): BerthFixture {
  const fixture = {} as BerthFixture;
  let ownReleases: string | null = null;
  beforeAll(async () => {
    fixture.db = await createTestDatabase(label);
    // A releases directory of its own, unless the test brings one (it removes that itself).
    fixture.env = { ...dockerEnv(), DATABASE_URL: fixture.db.url, ...env };
    if (!env.RELEASES_DIR) fixture.env.RELEASES_DIR = ownReleases = mkdtempSync(join(tmpdir(), 'berth-releases-'));
    fixture.berth = await startBerth(fixture.env);
    fixture.api = client(fixture.berth.url, fixture.berth);
  });
  afterAll(async () => {
    await fixture.berth?.stop();
    if (fixture.env) await removeInstallation(fixture.env.DOCKER_NAME_PREFIX);
    if (ownReleases) rmSync(ownReleases, { recursive: true, force: true });
    // A prefix the test chose is the file's own: its keys go with it (startBerth removes its own).
    if (fixture.env?.QUEUE_PREFIX) await removeKeys(fixture.env.REDIS_URL ?? REDIS_URL, fixture.env.QUEUE_PREFIX);
    await fixture.db?.drop();
  });
  return fixture;
}
