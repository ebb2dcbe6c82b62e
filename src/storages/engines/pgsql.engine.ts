import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import pg from 'pg';
import type { StorageServerConfig } from '../../config/config.js';
import { AppFacingAddress, SAFE_IDENTIFIER, StorageEngine, StorageMissingError } from './storage-engine.js';

/** NOLOGIN role every storage user belongs to, so pg_hba.conf can require their passwords (scripts/pg-storage-auth.sh). */
export const STORAGE_GROUP = 'berth_storage';

interface CodePointSet {
  get(codePoint: number): boolean;
}
interface StringprepTables {
  unassigned_code_points: CodePointSet;
  commonly_mapped_to_nothing: CodePointSet;
  non_ASCII_space_characters: CodePointSet;
  prohibited_characters: CodePointSet;
  bidirectional_r_al: CodePointSet;
  bidirectional_l: CodePointSet;
}

// saslprep() of @mongodb-js/saslprep checks prohibited, unassigned and bidi characters
// after NFKC; PostgreSQL's pg_saslprep checks them before (on the mapped input), so
// e.g. "aᴬ" or U+0340 would get a verifier that psql's password no longer matches.
// The package's RFC 3454 tables are identical to PostgreSQL's (compared code point by
// code point) but only its function is exported, hence the deep load.
const tables = ((): StringprepTables => {
  const require = createRequire(import.meta.url);
  const dist = dirname(require.resolve('@mongodb-js/saslprep'));
  const { createMemoryCodePoints } = require(join(dist, 'memory-code-points.js'));
  return createMemoryCodePoints(require(join(dist, 'code-points-data.js')).default);
})();

// The package's prohibited table lacks U+FFFFE and U+FFFFF; PostgreSQL prohibits every
// noncharacter at the end of a plane.
const prohibited = (c: number) => tables.prohibited_characters.get(c) || (c & 0xfffe) === 0xfffe;

/**
 * The password as PostgreSQL and libpq feed it to SCRAM (src/common/saslprep.c): SASLprep
 * when it succeeds, the password unchanged when SASLprep rejects it.
 */
export function pgSaslprep(password: string): string {
  if (/^[\x00-\x7f]*$/.test(password)) return password;
  const mapped: number[] = [];
  for (const char of password) {
    const c = char.codePointAt(0)!;
    if (tables.non_ASCII_space_characters.get(c)) mapped.push(0x20);
    else if (!tables.commonly_mapped_to_nothing.get(c)) mapped.push(c);
  }
  if (mapped.length === 0) return password;
  if (mapped.some((c) => prohibited(c) || tables.unassigned_code_points.get(c))) return password;
  if (mapped.some((c) => tables.bidirectional_r_al.get(c))) {
    if (mapped.some((c) => tables.bidirectional_l.get(c))) return password;
    if (!tables.bidirectional_r_al.get(mapped[0]) || !tables.bidirectional_r_al.get(mapped.at(-1)!)) return password;
  }
  return String.fromCodePoint(...mapped).normalize('NFKC');
}

/** A SCRAM-SHA-256 verifier exactly as PostgreSQL stores it in pg_authid.rolpassword. */
export function scramVerifier(password: string, salt: Buffer = randomBytes(16), iterations = 4096): string {
  // A lone surrogate cannot reach the server from any client; encode it as a client would (U+FFFD).
  const prepared = pgSaslprep(Buffer.from(password, 'utf8').toString('utf8'));
  const salted = pbkdf2Sync(prepared, salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest('base64');
  const serverKey = createHmac('sha256', salted).update('Server Key').digest('base64');
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey}:${serverKey}`;
}

// Anything else in ALTER ROLE ... PASSWORD would be hashed as a plain password by the server.
const SCRAM_VERIFIER = /^SCRAM-SHA-256\$[1-9][0-9]{0,6}:[A-Za-z0-9+/]+={0,2}\$[A-Za-z0-9+/]{43}=:[A-Za-z0-9+/]{43}=$/;

// "Already exists", including the unique_violation a concurrent CREATE ROLE/DATABASE raises.
const ALREADY_EXISTS = new Set(['42710', '42P04', '23505']);
const UNDEFINED_OBJECT = '42704';
// Authentication methods that make a client prove it knows the password.
const PASSWORD_METHODS = new Set(['scram-sha-256', 'md5', 'password']);

function quoted(value: string): string {
  if (!SAFE_IDENTIFIER.test(value)) throw new Error(`refusing unsafe PostgreSQL identifier ${JSON.stringify(value)}`);
  return `"${value}"`;
}

function verifierLiteral(verifier: string): string {
  if (!SCRAM_VERIFIER.test(verifier)) throw new Error('refusing a PostgreSQL password verifier that is not SCRAM-SHA-256');
  return `'${verifier}'`;
}

function code(err: unknown): string | undefined {
  return (err as { code?: string }).code;
}

/** Storages on a PostgreSQL server, managed over a superuser connection. */
export class PgSqlEngine implements StorageEngine {
  readonly type = 'pgsql' as const;
  readonly appFacing: AppFacingAddress;
  private readonly pool: pg.Pool;

  constructor(
    server: StorageServerConfig,
    private readonly connectionLimit: number,
  ) {
    this.appFacing = { host: server.host, port: server.port, address: server.address };
    // The statement timeout bounds a job stuck behind a lock (ours or the server's): it fails and is retried.
    this.pool = new pg.Pool({
      connectionString: server.adminUrl.reveal(),
      max: 4,
      connectionTimeoutMillis: 5_000,
      idleTimeoutMillis: 30_000,
      statement_timeout: 60_000,
      application_name: 'berth-storages',
    });
    // An idle connection the server ends (restart, termination) is replaced on next use; unhandled, it would crash the process.
    this.pool.on('error', () => undefined);
  }

  passwordVerifier(password: string): string {
    return scramVerifier(password);
  }

  async ensure(name: string, username: string, verifier: string): Promise<void> {
    const database = quoted(name);
    const role = quoted(username);
    const secret = verifierLiteral(verifier);
    await this.serialized(username, async (client) => {
      if (!(await exists(client, 'pg_roles', 'rolname', STORAGE_GROUP))) await create(client, `CREATE ROLE ${STORAGE_GROUP} NOLOGIN`);
      if (!(await exists(client, 'pg_roles', 'rolname', username))) await create(client, `CREATE ROLE ${role} LOGIN`);
      await client.query(`ALTER ROLE ${role} WITH LOGIN PASSWORD ${secret} CONNECTION LIMIT ${this.connectionLimit}`);
      await create(client, `GRANT ${STORAGE_GROUP} TO ${role}`);
      // CREATE DATABASE cannot run inside a transaction block: each statement here is its own.
      if (!(await exists(client, 'pg_database', 'datname', name))) await create(client, `CREATE DATABASE ${database} OWNER ${role}`);
      else await client.query(`ALTER DATABASE ${database} OWNER TO ${role}`);
      // PUBLIC may connect to a new database by default: every other storage user included.
      await client.query(`REVOKE ALL ON DATABASE ${database} FROM PUBLIC`);
      await client.query(`GRANT CONNECT, TEMPORARY ON DATABASE ${database} TO ${role}`);
    });
  }

  async conform(usernames: string[]): Promise<number> {
    if (usernames.length === 0) return 0;
    const { rows } = await this.pool.query<{ rolname: string }>('SELECT rolname FROM pg_roles WHERE rolname = ANY($1) AND rolconnlimit <> $2', [usernames, this.connectionLimit]);
    for (const { rolname } of rows) await this.pool.query(`ALTER ROLE ${quoted(rolname)} CONNECTION LIMIT ${this.connectionLimit}`);
    return rows.length;
  }

  async checkPassword(username: string, password: string): Promise<boolean> {
    const { rows } = await this.pool.query<{ verifier: string | null }>('SELECT rolpassword AS verifier FROM pg_authid WHERE rolname = $1', [username]);
    const stored = /^SCRAM-SHA-256\$([1-9][0-9]*):([A-Za-z0-9+/]+={0,2})\$/.exec(rows[0]?.verifier ?? '');
    if (!stored) return false;
    const candidate = scramVerifier(password, Buffer.from(stored[2], 'base64'), Number(stored[1]));
    return candidate.length === rows[0].verifier!.length && timingSafeEqual(Buffer.from(candidate), Buffer.from(rows[0].verifier!));
  }

  async setPassword(username: string, verifier: string): Promise<void> {
    const role = quoted(username);
    const secret = verifierLiteral(verifier);
    await this.serialized(username, async (client) => {
      if (!(await exists(client, 'pg_roles', 'rolname', username))) throw new StorageMissingError(`PostgreSQL role ${username} does not exist`);
      try {
        await client.query(`ALTER ROLE ${role} PASSWORD ${secret}`);
      } catch (err) {
        if (code(err) === UNDEFINED_OBJECT) throw new StorageMissingError(`PostgreSQL role ${username} does not exist`);
        throw err;
      }
    });
  }

  async drop(name: string, username: string): Promise<void> {
    const database = quoted(name);
    const role = quoted(username);
    await this.serialized(username, async (client) => {
      // Ending the database's sessions first, waiting for each, leaves FORCE only a
      // session that connected in between to deal with.
      await client.query('SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [name]);
      await client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      if (!(await exists(client, 'pg_roles', 'rolname', username))) return;
      // Its sessions elsewhere (the postgres database) would live on as a dropped role,
      // and whatever it owns in the admin database would keep DROP ROLE from succeeding.
      await client.query('SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE usename = $1', [username]);
      await client.query(`DROP OWNED BY ${role}`);
      await client.query(`DROP ROLE IF EXISTS ${role}`);
    });
  }

  async observe(name: string, username: string): Promise<{ database: boolean; user: boolean }> {
    quoted(name);
    quoted(username);
    const [database, user] = await Promise.all([exists(this.pool, 'pg_database', 'datname', name), exists(this.pool, 'pg_roles', 'rolname', username)]);
    return { database, user };
  }

  /**
   * Whether pg_hba.conf keeps storage users to their own database, by password: over
   * TCP, from any address, the first rule that applies to a storage user's own
   * database asks for a password, and the first for any other database rejects.
   * Conservative: a rule limited to some addresses still counts, as it may match.
   */
  async isolationEnforced(): Promise<boolean> {
    const { rows } = await this.pool.query<{ type: string; database: string[]; user_name: string[]; auth_method: string }>(
      'SELECT type, database, user_name, auth_method FROM pg_hba_file_rules WHERE error IS NULL ORDER BY line_number',
    );
    const applies = rows.filter((r) => r.type !== 'local' && (r.user_name.includes('all') || r.user_name.includes(`+${STORAGE_GROUP}`)) && !r.database.every((d) => d === 'replication'));
    const own = applies.find((r) => r.database.includes('all') || r.database.includes('sameuser'));
    const other = applies.find((r) => r.database.includes('all'));
    return own !== undefined && PASSWORD_METHODS.has(own.auth_method) && other !== undefined && other.auth_method === 'reject';
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  // Two jobs changing one role at once would fail with "tuple concurrently updated":
  // a session advisory lock per user serializes them across workers and processes.
  private async serialized<T>(username: string, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    const key = [`berth_storage:${username}`];
    let broken = false;
    try {
      await client.query('SELECT pg_advisory_lock(hashtext($1))', key).catch((err: unknown) => {
        broken = true;
        throw err;
      });
      try {
        return await work(client);
      } finally {
        // A connection that cannot unlock is discarded, which releases the lock as well.
        await client.query('SELECT pg_advisory_unlock(hashtext($1))', key).catch(() => (broken = true));
      }
    } finally {
      client.release(broken);
    }
  }
}

async function exists(client: pg.Pool | pg.PoolClient, catalog: 'pg_roles' | 'pg_database', column: 'rolname' | 'datname', value: string): Promise<boolean> {
  const { rowCount } = await client.query(`SELECT 1 FROM ${catalog} WHERE ${column} = $1`, [value]);
  return rowCount! > 0;
}

async function create(client: pg.PoolClient, sql: string): Promise<void> {
  try {
    await client.query(sql);
  } catch (err) {
    if (!ALREADY_EXISTS.has(code(err) ?? '')) throw err;
  }
}
