import { DataSource, Migration } from 'typeorm';

// Any constant works; it only has to be the same in every Berth process.
const MIGRATION_LOCK_KEY = 0x6265727468; // "berth"

/**
 * Runs pending migrations under a PostgreSQL advisory lock, so several Berth
 * processes starting at once (one per role) never race each other.
 */
export async function runMigrations(dataSource: DataSource): Promise<Migration[]> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    return await dataSource.runMigrations({ transaction: 'each' });
  } finally {
    await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await runner.release();
  }
}

/** The SQL that would bring the schema in line with the entities; empty when migrations are complete. */
export async function pendingSchemaChanges(dataSource: DataSource): Promise<string[]> {
  const sql = await dataSource.driver.createSchemaBuilder().log();
  return sql.upQueries.map((q) => q.query);
}
