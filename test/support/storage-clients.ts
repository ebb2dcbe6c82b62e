import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Logs in with the real `mariadb` client and runs `sql`; the password goes through the environment, not argv. */
export async function mariadb(user: string, password: string, database: string, sql: string): Promise<string> {
  const { stdout } = await run('mariadb', ['-h', '127.0.0.1', '-P', '3306', '-u', user, '-N', '-B', database, '-e', sql], {
    env: { PATH: process.env.PATH ?? '', MYSQL_PWD: password },
    timeout: 20_000,
  });
  return stdout.trim();
}

/** Logs in with the real `psql` client and runs `sql`. */
export async function psql(user: string, password: string, database: string, sql: string): Promise<string> {
  const { stdout } = await run('psql', ['-h', '127.0.0.1', '-p', '5432', '-U', user, '-d', database, '-w', '-X', '-Atc', sql], {
    env: { PATH: process.env.PATH ?? '', PGPASSWORD: password, PGCONNECT_TIMEOUT: '10' },
    timeout: 20_000,
  });
  return stdout.trim();
}

export const login = { mariadb, pgsql: psql } as const;

/**
 * Drops, on the real servers, every storage a test database still lists, so test runs
 * leave no databases or users behind on this machine's MariaDB and PostgreSQL.
 */
export async function dropStoragesOnServers(query: (sql: string) => Promise<{ rows: Array<{ type: string; name: string }> }>) {
  const { rows } = await query('SELECT type, name FROM storages');
  for (const { type, name } of rows) {
    if (!/^[a-z][a-z0-9_]{0,31}$/.test(name)) continue;
    if (type === 'mariadb') {
      await mariadb('root', '', 'mysql', `DROP USER IF EXISTS '${name}'@'%'; DROP DATABASE IF EXISTS \`${name}\``).catch(() => undefined);
    } else {
      const { adminQuery } = await import('./services.js');
      await adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).catch(() => undefined);
      await adminQuery(`DROP ROLE IF EXISTS "${name}"`).catch(() => undefined);
    }
  }
}
