import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Secret } from '../dist/src/config/secret.js';
import { MariaDbEngine } from '../dist/src/storages/engines/mariadb.engine.js';
import { PgSqlEngine, pgSaslprep, scramVerifier } from '../dist/src/storages/engines/pgsql.engine.js';
import { StorageMissingError } from '../dist/src/storages/engines/storage-engine.js';
import { adminQuery, PG_ADMIN_URL } from './support/services.js';
import { login } from './support/storage-clients.js';

const MARIADB_URL = process.env.TEST_MARIADB_URL ?? 'mysql://root@127.0.0.1:3306';
const RUN = randomBytes(4).toString('hex');
// Few, so reaching it is cheap; Berth's default is 20.
const LIMIT = 3;
/** An engine's server as configuration gives it; the app-facing part does not matter here. */
const server = (url: string) => ({ adminUrl: new Secret(url), host: 'db.example.test', port: 1, address: null });
// Everything SQL or a shell could trip on: quotes, backslash, semicolon, dollar, backtick,
// wildcards, comment dashes, spaces, accents, CJK and an emoji.
const NASTY = String.raw`pa'ss"wo\rd;DROP $x ü 日本 🎉` + ' `%_\\-- end';
// Fullwidth letters and a circled digit: PostgreSQL clients log in with its NFKC form too.
const RENEWED = String.raw`ne\w;pa$$ 'word' ñ` + ' Ｗ①';
const RENEWED_NFKC = String.raw`ne\w;pa$$ 'word' ñ` + ' W1';

async function mariadbAdmin(sql: string, params: unknown[] = []) {
  const connection = await mysql.createConnection(MARIADB_URL);
  try {
    const [rows] = await connection.query(sql, params);
    return rows as Record<string, unknown>[];
  } finally {
    await connection.end();
  }
}

const ENGINES = [
  {
    type: 'mariadb' as const,
    make: (limit = LIMIT) => new MariaDbEngine(server(MARIADB_URL), limit),
    badLogin: /Access denied/,
    goneLogin: /Access denied/,
    otherDatabase: /Access denied for user .* to database/,
    tooMany: /max_user_connections/,
    limitOf: async (user: string) => Number((await mariadbAdmin("SELECT max_user_connections AS n FROM mysql.user WHERE User = ? AND Host = '%'", [user]))[0].n),
    sessions: async (user: string) => (await mariadbAdmin('SELECT ID FROM information_schema.PROCESSLIST WHERE USER = ?', [user])).length,
    sleep: 'SELECT SLEEP(60)',
    nfkcIsSamePassword: false,
  },
  {
    type: 'pgsql' as const,
    make: (limit = LIMIT) => new PgSqlEngine(server(PG_ADMIN_URL), limit),
    badLogin: /password authentication failed/,
    // A dropped role is no longer in berth_storage, so pg_hba.conf's later rules answer for it.
    goneLogin: /password authentication failed|role ".*" does not exist/,
    // pg_hba.conf (scripts/pg-storage-auth.sh) admits a storage user to its own database only.
    otherDatabase: /pg_hba.conf rejects connection|no pg_hba.conf entry/,
    tooMany: /too many connections for role/,
    limitOf: async (user: string) => Number((await adminQuery('SELECT rolconnlimit AS n FROM pg_roles WHERE rolname = $1', [user])).rows[0].n),
    sessions: async (user: string) => (await adminQuery('SELECT pid FROM pg_stat_activity WHERE usename = $1', [user])).rowCount ?? 0,
    sleep: 'SELECT pg_sleep(60)',
    nfkcIsSamePassword: true,
  },
];

describe.each(ENGINES)('$type storage engine', ({ type, make, badLogin, goneLogin, otherDatabase, tooMany, limitOf, sessions, sleep, nfkcIsSamePassword }) => {
  const sign = type === 'mariadb' ? 'm' : 'p';
  // As Berth makes them: a storage's database and user share one name.
  const storage = (label: string) => ({ name: `t${sign}_${RUN}_${label}`, username: `t${sign}_${RUN}_${label}` });
  const a = storage('a');
  // Same as a's name with its first "_" replaced: a database-level GRANT on `tm_..._a`
  // would match it, as "_" is a wildcard there.
  const w = { name: a.name.replace('_', 'x'), username: a.name.replace('_', 'x') };
  const c = storage('c');
  const created = [a, w, c];
  const sql = (who: { name: string; username: string }, password: string, statement: string, database = who.name) =>
    login[type](who.username, password, database, statement);
  let engine: InstanceType<typeof MariaDbEngine> | InstanceType<typeof PgSqlEngine>;

  beforeAll(async () => {
    engine = make();
    if (engine instanceof PgSqlEngine && !(await engine.isolationEnforced())) {
      throw new Error('pg_hba.conf trusts storage users on 127.0.0.1 or lets them into other databases, so no such test can fail: run scripts/pg-storage-auth.sh');
    }
  });

  afterAll(async () => {
    await Promise.allSettled(created.map((s) => engine.drop(s.name, s.username)));
    await engine.close();
  });

  it('creates a database that its user logs in to with the real client, whatever the password holds', async () => {
    await engine.ensure(a.name, a.username, engine.passwordVerifier(NASTY));
    await expect(engine.observe(a.name, a.username)).resolves.toEqual({ database: true, user: true });
    await sql(a, NASTY, 'create table t(i int); insert into t values (1)');
    expect(await sql(a, NASTY, 'select count(*) from t')).toBe('1');
  });

  it('refuses a password that is only nearly right', async () => {
    for (const nearMiss of [NASTY.replace('ü', 'u'), NASTY.slice(0, -1), NASTY.replace("'", '"'), NASTY + ' ']) {
      await expect(sql(a, nearMiss, 'select 1')).rejects.toThrow(badLogin);
    }
  });

  it('changes nothing when ensured again', async () => {
    const verifier = engine.passwordVerifier(NASTY);
    await engine.ensure(a.name, a.username, verifier);
    await engine.ensure(a.name, a.username, verifier);
    expect(await sql(a, NASTY, 'select count(*) from t')).toBe('1');
  });

  it('converges when two ensures of one storage run at once', async () => {
    const verifier = engine.passwordVerifier(NASTY);
    await Promise.all([engine.ensure(c.name, c.username, verifier), engine.ensure(c.name, c.username, verifier)]);
    expect(await sql(c, NASTY, 'select 1')).toBe('1');
  });

  it('changes the password: the old one fails, the new one works', async () => {
    await engine.setPassword(a.username, engine.passwordVerifier(RENEWED));
    await expect(sql(a, NASTY, 'select 1')).rejects.toThrow(badLogin);
    expect(await sql(a, RENEWED, 'select count(*) from t')).toBe('1');
    // PostgreSQL normalizes passwords (SASLprep) on both sides; MariaDB compares bytes.
    if (nfkcIsSamePassword) expect(await sql(a, RENEWED_NFKC, 'select 1')).toBe('1');
    else await expect(sql(a, RENEWED_NFKC, 'select 1')).rejects.toThrow(badLogin);
  });

  it("keeps each storage's user out of every other storage's database", async () => {
    await engine.ensure(w.name, w.username, engine.passwordVerifier(NASTY));
    for (const [who, other] of [[a, w], [w, a], [c, a]]) {
      const password = who === a ? RENEWED : NASTY;
      await expect(sql(who, password, 'select 1', other.name)).rejects.toThrow(otherDatabase);
      if (type === 'mariadb') {
        await expect(sql(who, password, `use ${other.name}`)).rejects.toThrow(/Access denied/);
        await expect(sql(who, password, `select * from ${other.name}.t`)).rejects.toThrow(/denied/);
      }
    }
  });

  it("keeps a storage's user out of the server's own databases", async () => {
    for (const database of type === 'mariadb' ? ['mysql', 'test'] : ['postgres', 'template1']) {
      await expect(sql(c, NASTY, 'select 1', database)).rejects.toThrow(type === 'mariadb' ? /Access denied|Unknown database/ : otherDatabase);
    }
    if (type === 'mariadb') {
      // Only its own schema is there to see.
      expect((await sql(c, NASTY, 'show databases')).split('\n').sort()).toEqual(['information_schema', c.name]);
    }
  });

  it('refuses a storage user past its connection limit', async () => {
    const sleeping = Array.from({ length: LIMIT }, () => sql(c, NASTY, sleep).catch(() => 'ended'));
    try {
      for (let i = 0; (await sessions(c.username)) < LIMIT; i++) {
        if (i > 100) throw new Error(`${LIMIT} sessions never showed up`);
        await new Promise((r) => setTimeout(r, 100));
      }
      await expect(sql(c, NASTY, 'select 1')).rejects.toThrow(tooMany);
    } finally {
      await engine.drop(c.name, c.username);
      await Promise.all(sleeping);
    }
    await engine.ensure(c.name, c.username, engine.passwordVerifier(NASTY));
    expect(await sql(c, NASTY, 'select 1')).toBe('1');
  });

  it('brings users made under another limit to the configured one, and only those', async () => {
    const looser = make(LIMIT + 4);
    try {
      expect(await limitOf(c.username)).toBe(LIMIT);
      expect(await looser.conform([c.username, `t${sign}_${RUN}_none`])).toBe(1);
      expect(await limitOf(c.username)).toBe(LIMIT + 4);
      expect(await looser.conform([c.username])).toBe(0);
      expect(await engine.conform([c.username])).toBe(1);
      expect(await limitOf(c.username)).toBe(LIMIT);
    } finally {
      await looser.close();
    }
  });

  it('refuses to change the password of a user that does not exist', async () => {
    await expect(engine.setPassword(`t${sign}_${RUN}_none`, engine.passwordVerifier(NASTY))).rejects.toBeInstanceOf(StorageMissingError);
  });

  it('drops the database and the user, ending their sessions, and drops again without complaint', async () => {
    const session = sql(a, RENEWED, sleep).then(
      () => 'finished',
      () => 'ended',
    );
    for (let i = 0; (await sessions(a.username)) === 0; i++) {
      if (i > 100) throw new Error('the sleeping session never showed up');
      await new Promise((r) => setTimeout(r, 100));
    }
    await engine.drop(a.name, a.username);
    // Well before the client's own 20 s timeout would end it.
    const soon = new Promise((r) => setTimeout(() => r('still running'), 5_000));
    expect(await Promise.race([session, soon])).toBe('ended');
    await expect(engine.observe(a.name, a.username)).resolves.toEqual({ database: false, user: false });
    await expect(sql(a, RENEWED, 'select 1')).rejects.toThrow(goneLogin);
    await engine.drop(a.name, a.username);
    await expect(engine.setPassword(a.username, engine.passwordVerifier(RENEWED))).rejects.toBeInstanceOf(StorageMissingError);
  });

  it('refuses unsafe names and foreign verifiers before any SQL', async () => {
    // Nothing listens on port 1: reaching the server would fail differently.
    const offline = type === 'mariadb' ? new MariaDbEngine(server('mysql://root@127.0.0.1:1'), LIMIT) : new PgSqlEngine(server('postgres://postgres@127.0.0.1:1/postgres'), LIMIT);
    const ok = storage('ok');
    const verifier = offline.passwordVerifier(NASTY);
    try {
      for (const bad of ['', 'Upper', '1abc', 'a-b', 'a b', 'a'.repeat(33), `x'; drop database mysql; --`, 'x"', 'x`', 'ü']) {
        await expect(offline.ensure(bad, ok.username, verifier)).rejects.toThrow(/unsafe/);
        await expect(offline.ensure(ok.name, bad, verifier)).rejects.toThrow(/unsafe/);
        await expect(offline.setPassword(bad, verifier)).rejects.toThrow(/unsafe/);
        await expect(offline.drop(bad, ok.username)).rejects.toThrow(/unsafe/);
        await expect(offline.drop(ok.name, bad)).rejects.toThrow(/unsafe/);
        await expect(offline.observe(bad, ok.username)).rejects.toThrow(/unsafe/);
      }
      const foreign = type === 'mariadb' ? scramVerifier(NASTY) : new MariaDbEngine(server(MARIADB_URL), LIMIT).passwordVerifier(NASTY);
      for (const bad of [NASTY, "*' OR '1'='1", foreign, verifier + "'", verifier.toLowerCase()]) {
        await expect(offline.ensure(ok.name, ok.username, bad)).rejects.toThrow(/verifier/);
        await expect(offline.setPassword(ok.username, bad)).rejects.toThrow(/verifier/);
      }
    } finally {
      await offline.close();
    }
  });
});

describe('password verifiers are what the servers themselves compute', () => {
  // Each exercises one branch of PostgreSQL's pg_saslprep: ASCII as is, mapping, NFKC,
  // and the fallback to the raw password when a character is prohibited or unassigned
  // before normalization, when bidi rules fail, or when nothing is left after mapping.
  const PASSWORDS = [
    NASTY, RENEWED, 'plain-ascii', 'ctrl\x01char', 'Ｐａｓｓ ｗｏｒｄ ½ ﬁ', 'soft\u00ADhyphen\u00A0nbsp', '\u00AD', 'a\u1D2C',
    'x\u0340y', 'ab\u{FFFFE}', '\u0627\u0653', '\uFEE3\uFEAE\uFEA3\uFE92\uFE8E', '\u05D0a\u05D0', 'lone\uD800', 'é vs e\u0301',
  ];

  it('MariaDB: mysql_native_password, as PASSWORD() makes it', async () => {
    const engine = new MariaDbEngine(server(MARIADB_URL), LIMIT);
    try {
      for (const password of PASSWORDS) {
        const [row] = await mariadbAdmin('SELECT PASSWORD(?) AS hash', [password]);
        expect(engine.passwordVerifier(password), JSON.stringify(password)).toBe(row.hash);
      }
    } finally {
      await engine.close();
    }
  });

  it('PostgreSQL: SCRAM-SHA-256 with its own SASLprep, as ALTER ROLE ... PASSWORD stores it', async () => {
    const role = `tp_${RUN}_scram`;
    await adminQuery(`CREATE ROLE ${role} NOLOGIN`);
    try {
      for (const password of PASSWORDS) {
        const { rows } = await adminQuery<{ sql: string }>(`SELECT format('ALTER ROLE %I PASSWORD %L', $1::text, $2::text) AS sql`, [role, password]);
        await adminQuery(rows[0].sql);
        const stored = (await adminQuery<{ rolpassword: string }>('SELECT rolpassword FROM pg_authid WHERE rolname = $1', [role])).rows[0].rolpassword;
        const [, iterations, salt] = /^SCRAM-SHA-256\$(\d+):([^$]+)\$/.exec(stored)!;
        expect(scramVerifier(password, Buffer.from(salt, 'base64'), Number(iterations)), JSON.stringify(password)).toBe(stored);
      }
    } finally {
      await adminQuery(`DROP ROLE IF EXISTS ${role}`);
    }
    // Both paths were taken: normalized where SASLprep accepts, raw where it refuses.
    expect(pgSaslprep('Ｐａｓｓ ½')).toBe('Pass 1⁄2');
    expect(pgSaslprep('a\u1D2C')).toBe('a\u1D2C');
  });

  it('PostgreSQL: every verifier has a fresh salt', () => {
    expect(scramVerifier(NASTY)).not.toBe(scramVerifier(NASTY));
  });
});
