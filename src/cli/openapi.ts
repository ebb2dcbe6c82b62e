// Writes openapi.json from the code: `node dist/src/cli/openapi.js --write`, or prints it with --stdout.
import 'reflect-metadata';
import { stopBackgroundCompilation } from '../common/exit-deadlock.js';
import { writeFileSync } from 'node:fs';
import { pino } from 'pino';
import { createApi } from '../api.js';
import { loadConfig } from '../config/config.js';
import { buildOpenApiDocument } from '../openapi/openapi.js';

// A command exits as soon as it is done: nothing may be compiling in the background then.
stopBackgroundCompilation();

export async function generateOpenApi(): Promise<string> {
  const config = loadConfig();
  // Preview mode builds the route table without connecting to PostgreSQL or Redis.
  const app = await createApi(config, pino({ level: 'silent' }), { preview: true });
  await app.init();
  const document = buildOpenApiDocument(app, config.version);
  await app.close();
  return JSON.stringify(document, null, 2) + '\n';
}

const target = new URL('../../../openapi.json', import.meta.url);
const text = await generateOpenApi();
if (process.argv.includes('--write')) {
  writeFileSync(target, text);
  process.stdout.write(`wrote ${target.pathname}\n`);
} else {
  process.stdout.write(text);
}
