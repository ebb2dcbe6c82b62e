// The route audit: every route of the running app declares who may call it, and behaves so.
import 'reflect-metadata';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { RequestMethod } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApi } from '../dist/src/api.js';
import { ACCESS_POLICY } from '../dist/src/common/access/access.decorator.js';
import { ACTOR_PARAM } from '../dist/src/common/access/actor.decorator.js';
import { loadConfig } from '../dist/src/config/config.js';
import { createDataSource } from '../dist/src/database/data-source.js';
import { runMigrations } from '../dist/src/database/migrate.js';
import { client, register } from './support/http.js';
import { createTestDatabase, REDIS_URL, TestDatabase } from './support/services.js';

// Adding to this list is a deliberate act, reviewed like any other change.
const PUBLIC_ROUTES = ['GET /api/v1/health', 'GET /api/v1/version', 'POST /api/v1/auth/login', 'POST /api/v1/auth/register'];

interface Route {
  method: string;
  path: string;
  policy?: { kind: string; role?: string };
  /** The handler takes an `@Actor()`, which its service records the change's audit event with. */
  audited: boolean;
}

let db: TestDatabase;
let app: Awaited<ReturnType<typeof createApi>>;
let routes: Route[];
const fastifyRoutes: string[] = [];

function join(...parts: string[]): string {
  return ('/' + parts.map((p) => p.replace(/^\/+|\/+$/g, '')).filter(Boolean).join('/')).replace(/\/+/g, '/');
}

beforeAll(async () => {
  db = await createTestDatabase('routes');
  const config = loadConfig({ DATABASE_URL: db.url, REDIS_URL, LOG_LEVEL: 'silent', BERTH_ROLES: 'api', RATE_LIMIT_PER_MINUTE: '0', RATE_LIMIT_DEPLOYS_PER_MINUTE: '0' });
  const ds = createDataSource(config);
  await ds.initialize();
  await runMigrations(ds);
  await ds.destroy();

  app = await createApi(config, pino({ level: 'silent' }));
  app.getHttpAdapter().getInstance().addHook('onRoute', (r: { method: string | string[]; url: string }) => {
    for (const method of [r.method].flat()) if (method !== 'HEAD') fastifyRoutes.push(`${method} ${r.url}`);
  });
  await app.listen({ port: 0, host: '127.0.0.1' });

  routes = [];
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as Function;
      const base = Reflect.getMetadata(PATH_METADATA, controller) as string;
      for (const name of Object.getOwnPropertyNames(controller.prototype)) {
        const handler = controller.prototype[name];
        if (name === 'constructor' || Reflect.getMetadata(METHOD_METADATA, handler) === undefined) continue;
        routes.push({
          method: RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as number],
          path: join('api/v1', base, Reflect.getMetadata(PATH_METADATA, handler) as string),
          policy: Reflect.getMetadata(ACCESS_POLICY, handler) ?? Reflect.getMetadata(ACCESS_POLICY, controller),
          audited: Reflect.getMetadata(ACTOR_PARAM, controller.prototype, name) === true,
        });
      }
    }
  }
});

afterAll(async () => {
  await app?.close();
  await db?.drop();
});

describe('route audit', () => {
  it('finds every route the HTTP server serves (nothing escapes the audit)', () => {
    const served = fastifyRoutes.filter((r) => r.includes(' /api/v1')).map((r) => r.replace(/\/$/, ''));
    const audited = routes.map((r) => `${r.method} ${r.path}`);
    expect(new Set(served)).toEqual(new Set(audited));
    expect(routes.length).toBeGreaterThanOrEqual(10);
  });

  it('every route declares an access policy', () => {
    const undeclared = routes.filter((r) => !r.policy).map((r) => `${r.method} ${r.path}`);
    expect(undeclared).toEqual([]);
  });

  it('every company-scoped route is guarded by company membership', () => {
    const wrong = routes.filter((r) => r.path.includes(':company_id') && r.policy?.kind !== 'company');
    expect(wrong.map((r) => `${r.method} ${r.path}`)).toEqual([]);
    const misplaced = routes.filter((r) => r.policy?.kind === 'company' && !r.path.includes(':company_id'));
    expect(misplaced.map((r) => `${r.method} ${r.path}`)).toEqual([]);
  });

  it('only the deliberately public routes are public', () => {
    const open = routes.filter((r) => r.policy?.kind === 'public').map((r) => `${r.method} ${r.path}`);
    expect(open.sort()).toEqual([...PUBLIC_ROUTES].sort());
  });

  it('every change route takes an @Actor(), so its change is recorded as an audit event', () => {
    const changes = routes.filter((r) => r.method !== 'GET');
    expect(changes.length).toBeGreaterThanOrEqual(20);
    expect(changes.filter((r) => !r.audited).map((r) => `${r.method} ${r.path}`)).toEqual([]);
    // Reads record nothing: an Actor on a GET would be a sign of a read that writes.
    expect(routes.filter((r) => r.method === 'GET' && r.audited).map((r) => `${r.method} ${r.path}`)).toEqual([]);
  });

  it('behaves as declared: 401 without a token, 404 for a non-member on company routes', async () => {
    const api = client(`${await app.getUrl()}`);
    const outsider = await register(client(`${await app.getUrl()}/api/v1`), 'Outsider');
    const owner = await register(client(`${await app.getUrl()}/api/v1`), 'Owner');
    for (const route of routes) {
      const path = route.path.replace(':company_id', String(owner.company.id)).replace(/:[a-z_]+/g, '1') + '/';
      const label = `${route.method} ${route.path}`;
      if (route.policy?.kind === 'public') continue;
      const anonymous = await api.call(route.method, path, { body: route.method === 'GET' ? undefined : {} });
      expect(anonymous.status, label).toBe(401);
      if (route.path.includes(':company_id')) {
        const stranger = await api.call(route.method, path, { token: outsider.token, body: route.method === 'GET' ? undefined : {} });
        expect(stranger.status, label).toBe(404);
        expect(stranger.body.code, label).toBe('not_found');
      }
    }
  });
});
