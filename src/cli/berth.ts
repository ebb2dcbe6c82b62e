// Operator commands: `npm run berth -- <command>`.
//   migrate                         apply pending migrations
//   migrate:check                   fail when the entities need a schema change no migration makes
//   account:create --email E [--name N] --password-stdin
//                                   create an account with its default company; prints a token
//   secrets:rotate                  re-seal every app secret with SECRETS_KEY (the old key in
//                                   SECRETS_KEY_PREVIOUS); see README, "Secrets"
//   node:list [--json]              the nodes apps run on: state, apps, memory (docs/multi-node.md)
//   node:drain NAME [--timeout S]   move every app off node NAME, /srv and all, one at a time
//   node:remove NAME                take a drained node out of the cluster
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { stopBackgroundCompilation } from '../common/exit-deadlock.js';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { parseArgs } from 'node:util';
import { text } from 'node:stream/consumers';
import { ApiModule } from '../api.module.js';
import { rotateSecrets } from '../app-config/rotate-secrets.js';
import { SecretBox } from '../app-config/secret-box.js';
import { AuthService } from '../auth/auth.service.js';
import { OPERATOR } from '../common/access/principal.js';
import { RegisterDto } from '../auth/dto/auth.dto.js';
import { fieldErrors } from '../common/validation/validation.pipe.js';
import { ConfigError, loadConfig } from '../config/config.js';
import { createDataSource } from '../database/data-source.js';
import { pendingSchemaChanges, runMigrations } from '../database/migrate.js';
import { AppChanges } from '../apps/app-changes.js';
import { CONTAINER_DRIVER, ContainerDriver } from '../containers/container-driver.js';
import { NodeAdmin } from '../nodes/node-admin.js';
import { Placement } from '../nodes/placement.js';
import { DataSource } from 'typeorm';

// A command exits as soon as it is done: nothing may be compiling in the background then.
stopBackgroundCompilation();

const USAGE =
  'usage: berth migrate | migrate:check | account:create --email E [--name N] --password-stdin | secrets:rotate | node:list [--json] | node:drain NAME [--timeout S] | node:remove NAME';

function fail(message: string, code = 1): never {
  process.stderr.write(`berth: ${message}\n`);
  process.exit(code);
}

async function withDataSource<T>(run: (ds: ReturnType<typeof createDataSource>) => Promise<T>): Promise<T> {
  const ds = createDataSource(loadConfig());
  await ds.initialize();
  try {
    return await run(ds);
  } finally {
    await ds.destroy();
  }
}

async function accountCreate(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { email: { type: 'string' }, name: { type: 'string' }, 'password-stdin': { type: 'boolean' } } });
  // A password on the command line would show in `ps` and shell history.
  if (!values['password-stdin']) fail('pass the password on standard input with --password-stdin', 2);
  const password = (await text(process.stdin)).replace(/\r?\n$/, '');
  const dto = plainToInstance(RegisterDto, { email: values.email, name: values.name, password });
  const problems = await validate(dto);
  if (problems.length > 0) fail(`invalid account: ${JSON.stringify(fieldErrors(problems))}`, 2);

  await withDataSource(runMigrations);
  const app = await NestFactory.createApplicationContext(ApiModule.forRoot(loadConfig()), { logger: false });
  try {
    const created = await app.get(AuthService).createAccount(dto, 'operator', OPERATOR);
    process.stdout.write(
      `account ${created.account.id} <${created.account.email}>, company ${created.company.id} "${created.company.name}"\ntoken: ${created.token}\n`,
    );
  } catch (err) {
    fail((err as Error).message);
  } finally {
    await app.close();
  }
}

async function nodes(command: string, args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { json: { type: 'boolean' }, timeout: { type: 'string', default: '900' } } });
  const name = positionals[0];
  if (command !== 'node:list' && !name) fail(USAGE, 2);
  const timeoutS = Number(values.timeout);
  if (!Number.isInteger(timeoutS) || timeoutS < 1) fail('--timeout must be a whole number of seconds', 2);
  const app = await NestFactory.createApplicationContext(ApiModule.forRoot(loadConfig()), { logger: false });
  try {
    const db = app.get(DataSource);
    const driver = app.get<ContainerDriver>(CONTAINER_DRIVER);
    const admin = new NodeAdmin(db, driver, app.get(AppChanges), new Placement(db, driver));
    if (command === 'node:list') {
      const rows = await admin.list();
      if (values.json) return void process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
      const table = [['NODE', 'STATE', 'AVAILABILITY', 'TAKES APPS', 'ADDRESS', 'APPS', 'MEMORY MB', 'PLANS MB', 'FREE MB']];
      for (const r of rows) table.push([r.name, r.state, r.availability, r.acceptsApps ? 'yes' : 'no', r.address, String(r.apps), String(r.memoryMb), String(r.reservedMb), String(r.freeMb)]);
      const widths = table[0].map((_, i) => Math.max(...table.map((row) => row[i].length)));
      process.stdout.write(table.map((row) => row.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd()).join('\n') + '\n');
    } else if (command === 'node:drain') {
      const outcome = await admin.drain(name, timeoutS * 1000, (line) => process.stdout.write(`${line}\n`));
      if (outcome.failed.length > 0) fail(`${outcome.failed.length} app(s) not moved; node ${name} keeps them and takes no new ones. Run node:drain again once fixed.`);
    } else {
      await admin.remove(name);
      process.stdout.write(`node ${name} removed\n`);
    }
  } catch (err) {
    fail((err as Error).message);
  } finally {
    await app.close();
  }
}

async function main(): Promise<void> {
  const [command, ...args] = process.argv.slice(2);
  switch (command) {
    case 'migrate': {
      const applied = await withDataSource(runMigrations);
      process.stdout.write(applied.length ? `applied: ${applied.map((m) => m.name).join(', ')}\n` : 'schema is up to date\n');
      return;
    }
    case 'migrate:check': {
      const changes = await withDataSource(async (ds) => {
        await runMigrations(ds);
        return pendingSchemaChanges(ds);
      });
      if (changes.length > 0) fail(`entities and migrations disagree; a migration is missing for:\n${changes.join(';\n')}`);
      process.stdout.write('entities and migrations agree\n');
      return;
    }
    case 'account:create':
      return accountCreate(args);
    case 'secrets:rotate': {
      const config = loadConfig();
      const { total, resealed, kept } = await withDataSource((ds) => rotateSecrets(ds, new SecretBox(config.appConfig)));
      process.stdout.write(
        `re-sealed ${resealed} of ${total} secrets, and ${kept.resealed} of ${kept.total} values kept by config versions, with SECRETS_KEY; SECRETS_KEY_PREVIOUS can now be removed\n`,
      );
      return;
    }
    case 'node:list':
    case 'node:drain':
    case 'node:remove':
      return nodes(command, args);
    default:
      fail(USAGE, 2);
  }
}

main().catch((err: Error) => fail(err instanceof ConfigError ? err.message : `${err.message}`));
