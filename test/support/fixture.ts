import { afterAll, beforeAll } from 'vitest';
import { client, Client } from './http.js';
import { BerthProcess, startBerth } from './server.js';
import { createTestDatabase, TestDatabase } from './services.js';

export interface BerthFixture {
  db: TestDatabase;
  berth: BerthProcess;
  api: Client;
}

/** A fresh database and a Berth server on it for the whole test file, torn down after. */
export function useBerth(label: string, env: Record<string, string> = {}): BerthFixture {
  const fixture = {} as BerthFixture;
  beforeAll(async () => {
    fixture.db = await createTestDatabase(label);
    fixture.berth = await startBerth({ DATABASE_URL: fixture.db.url, ...env });
    fixture.api = client(fixture.berth.url);
  });
  afterAll(async () => {
    await fixture.berth?.stop();
    await fixture.db?.drop();
  });
  return fixture;
}
