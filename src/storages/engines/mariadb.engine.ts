import { createHash, timingSafeEqual } from 'node:crypto';
import mysql, { type Pool, type RowDataPacket } from 'mysql2/promise';
import type { StorageServerConfig } from '../../config/config.js';
import { AppFacingAddress, SAFE_IDENTIFIER, StorageEngine, StorageMissingError } from './storage-engine.js';

// What mysql_native_password stores: "*" and forty upper-case hex digits. Checked
// before it is spliced into SQL, where a placeholder is not accepted.
const NATIVE_VERIFIER = /^\*[0-9A-F]{40}$/;

// MariaDB: "Operation CREATE USER / ALTER USER failed for ..." (the user is missing).
const ER_CANNOT_USER = 1396;
// MariaDB: "Unknown thread id", a session that ended before KILL reached it.
const ER_NO_SUCH_THREAD = 1094;

function identifier(value: string): string {
  if (!SAFE_IDENTIFIER.test(value)) throw new Error(`refusing unsafe MariaDB identifier ${JSON.stringify(value)}`);
  return value;
}

/** `'user'@'%'`: storage users may connect from anywhere, their password is the gate. */
function account(username: string): string {
  return `'${identifier(username)}'@'%'`;
}

// In a database-level GRANT, "_" and "%" are wildcards: `s_1`.* would also grant
// `sx1`, another tenant's database. Escaped, the grant names exactly one database.
function grantPattern(name: string): string {
  return '`' + identifier(name).replace(/_/g, '\\_') + '`';
}

function verifierLiteral(verifier: string): string {
  if (!NATIVE_VERIFIER.test(verifier)) throw new Error('refusing a MariaDB password verifier that is not a mysql_native_password hash');
  return `'${verifier}'`;
}

/** Storages on a MariaDB (or MySQL) server, managed over an administrator connection. */
export class MariaDbEngine implements StorageEngine {
  readonly type = 'mariadb' as const;
  readonly appFacing: AppFacingAddress;
  private readonly pool: Pool;

  constructor(
    server: StorageServerConfig,
    private readonly connectionLimit: number,
  ) {
    this.appFacing = { host: server.host, port: server.port, address: server.address };
    this.pool = mysql.createPool({ uri: server.adminUrl.reveal(), connectionLimit: 4, connectTimeout: 5_000, maxIdle: 1, idleTimeout: 60_000 });
  }

  passwordVerifier(password: string): string {
    const stage1 = createHash('sha1').update(Buffer.from(password, 'utf8')).digest();
    return '*' + createHash('sha1').update(stage1).digest('hex').toUpperCase();
  }

  async ensure(name: string, username: string, verifier: string): Promise<void> {
    const database = '`' + identifier(name) + '`';
    const user = account(username);
    const hash = verifierLiteral(verifier);
    const pattern = grantPattern(name);
    await this.pool.query(`CREATE DATABASE IF NOT EXISTS ${database} CHARACTER SET utf8mb4`);
    const limit = `WITH MAX_USER_CONNECTIONS ${this.connectionLimit}`;
    await this.pool.query(`CREATE USER IF NOT EXISTS ${user} IDENTIFIED BY PASSWORD ${hash} ${limit}`);
    // CREATE USER IF NOT EXISTS leaves an existing user alone: set the password
    // again so a retry, or a user left over from an earlier attempt, converges.
    await this.pool.query(`ALTER USER ${user} IDENTIFIED BY PASSWORD ${hash} ${limit}`);
    await this.pool.query(`GRANT ALL PRIVILEGES ON ${pattern}.* TO ${user}`);
  }

  async conform(usernames: string[]): Promise<number> {
    if (usernames.length === 0) return 0;
    const [rows] = await this.pool.query<RowDataPacket[]>(
      "SELECT User AS user FROM mysql.user WHERE Host = '%' AND User IN (?) AND max_user_connections <> ?",
      [usernames, this.connectionLimit],
    );
    for (const { user } of rows) await this.pool.query(`ALTER USER ${account(user)} WITH MAX_USER_CONNECTIONS ${this.connectionLimit}`);
    return rows.length;
  }

  async checkPassword(username: string, password: string): Promise<boolean> {
    const [rows] = await this.pool.query<RowDataPacket[]>("SELECT authentication_string AS verifier FROM mysql.user WHERE User = ? AND Host = '%'", [username]);
    const stored = Buffer.from(String(rows[0]?.verifier ?? ''));
    const candidate = Buffer.from(this.passwordVerifier(password));
    return stored.length === candidate.length && timingSafeEqual(stored, candidate);
  }

  async setPassword(username: string, verifier: string): Promise<void> {
    const user = account(username);
    const hash = verifierLiteral(verifier);
    if (!(await this.userExists(username))) throw new StorageMissingError(`MariaDB user ${username} does not exist`);
    try {
      await this.pool.query(`ALTER USER ${user} IDENTIFIED BY PASSWORD ${hash}`);
    } catch (err) {
      // Dropped between the check and the change.
      if ((err as { errno?: number }).errno === ER_CANNOT_USER) throw new StorageMissingError(`MariaDB user ${username} does not exist`);
      throw err;
    }
  }

  async drop(name: string, username: string): Promise<void> {
    const database = '`' + identifier(name) + '`';
    const user = account(username);
    // The user goes first so nobody logs in again; then its open sessions, whose
    // locks would otherwise hold DROP DATABASE up for as long as they stay open.
    await this.pool.query(`DROP USER IF EXISTS ${user}`);
    const [sessions] = await this.pool.query<RowDataPacket[]>('SELECT ID AS id FROM information_schema.PROCESSLIST WHERE USER = ?', [username]);
    for (const { id } of sessions) {
      await this.pool.query('KILL CONNECTION ?', [Number(id)]).catch((err: { errno?: number }) => {
        if (err.errno !== ER_NO_SUCH_THREAD) throw err;
      });
    }
    await this.pool.query(`DROP DATABASE IF EXISTS ${database}`);
  }

  async observe(name: string, username: string): Promise<{ database: boolean; user: boolean }> {
    identifier(name);
    const [databases] = await this.pool.query<RowDataPacket[]>('SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [name]);
    return { database: databases.length > 0, user: await this.userExists(username) };
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  private async userExists(username: string): Promise<boolean> {
    identifier(username);
    const [users] = await this.pool.query<RowDataPacket[]>("SELECT 1 FROM mysql.user WHERE User = ? AND Host = '%'", [username]);
    return users.length > 0;
  }
}
