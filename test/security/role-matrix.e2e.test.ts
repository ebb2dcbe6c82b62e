// Attack catalogue: doing more than one's role or token allows. Every route of the running app,
// as the route audit finds them, is called by a viewer, a developer, an admin and an owner of a
// company, by a read-only token and by a token scoped to another company: each may do exactly
// what the route declares (a weaker role gets 403 naming the role needed, a read-only token 403
// on any change, a scoped-away token 404 as for a company that does not exist). A new route
// without a declared role fails here. Reference: OWASP API Security Top 10 2023, API5 Broken
// Function Level Authorization, and API1 Broken Object Level Authorization.
import 'reflect-metadata';
import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { ModulesContainer } from '@nestjs/core';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApi } from '../../dist/src/api.js';
import { ACCESS_POLICY } from '../../dist/src/common/access/access.decorator.js';
import { COMPANY_ROLES } from '../../dist/src/companies/entities/membership.entity.js';
import { loadConfig } from '../../dist/src/config/config.js';
import { createDataSource } from '../../dist/src/database/data-source.js';
import { runMigrations } from '../../dist/src/database/migrate.js';
import { dockerEnv } from '../support/docker.js';
import { client, Client, register } from '../support/http.js';
import { openSse } from '../support/sse.js';
import { createTestDatabase, REDIS_URL, TestDatabase } from '../support/services.js';

interface Route {
  method: string;
  path: string;
  policy: { kind: string; role?: string; catalog?: boolean };
}

let db: TestDatabase;
let app: Awaited<ReturnType<typeof createApi>>;
let api: Client;
let base = '';
const routes: Route[] = [];
const tokens: Record<string, string> = {};
let companyId = 0;
let lastEventBefore = 0;

const join = (...parts: string[]) => ('/' + parts.map((p) => p.replace(/^\/+|\/+$/g, '')).filter(Boolean).join('/')).replace(/\/+/g, '/');

beforeAll(async () => {
  db = await createTestDatabase('rolematrix');
  const env = dockerEnv();
  const config = loadConfig({ ...env, DATABASE_URL: db.url, REDIS_URL, LOG_LEVEL: 'silent', BERTH_ROLES: 'api', RATE_LIMIT_PER_MINUTE: '0', RATE_LIMIT_DEPLOYS_PER_MINUTE: '0', REGISTRATIONS_PER_IP: '0', LOGIN_FAILURES_PER_IP: '0' });
  const ds = createDataSource(config);
  await ds.initialize();
  await runMigrations(ds);
  await ds.destroy();
  app = await createApi(config, pino({ level: 'silent' }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  base = `${await app.getUrl()}/api/v1`;
  api = client(base);
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as Function;
      for (const name of Object.getOwnPropertyNames(controller.prototype)) {
        const handler = controller.prototype[name];
        if (name === 'constructor' || Reflect.getMetadata(METHOD_METADATA, handler) === undefined) continue;
        routes.push({
          method: RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as number],
          path: join(Reflect.getMetadata(PATH_METADATA, controller) as string, Reflect.getMetadata(PATH_METADATA, handler) as string),
          policy: Reflect.getMetadata(ACCESS_POLICY, handler) ?? Reflect.getMetadata(ACCESS_POLICY, controller),
        });
      }
    }
  }
  // A company with a member of every role, its owner's read-only token, and a token of the
  // owner scoped to another company of theirs.
  const owner = await register(api, 'Matrix Co');
  companyId = owner.company.id;
  tokens.owner = owner.token;
  for (const role of ['viewer', 'developer', 'admin']) {
    const who = await register(api, role);
    const invited = await api.post(`/${companyId}/invitations/`, { token: owner.token, body: { email: who.email, role } });
    expect((await api.post('/invitations/accept/', { token: who.token, body: { token: invited.body.token } })).status).toBe(200);
    tokens[role] = who.token;
  }
  tokens.read = (await api.post('/tokens/', { token: owner.token, body: { name: 'read', access: 'read' } })).body.token;
  const elsewhere = (await api.post('/companies/', { token: owner.token, body: { name: 'Elsewhere' } })).body.id;
  tokens.scoped = (await api.post('/tokens/', { token: owner.token, body: { name: 'scoped', companies: [elsewhere] } })).body.token;
  // Something to keep the company from being deletable: an owner's allowed DELETE then meets 409, not an empty company.
  const keep = await api.post(`/${companyId}/storages/`, { token: owner.token, body: { type: 'pgsql', password: 'Matrix-keeper-pass1' } });
  expect(keep.status, keep.text).toBe(200);
  lastEventBefore = (await db.query('SELECT coalesce(max(id), 0) AS id FROM events')).rows[0].id;
}, 120_000);

afterAll(async () => {
  await app?.close();
  await db?.drop();
});

/** A call as a client would make it, with ids that exist nowhere: allowed calls fail later (400, 404, 409), never on access. */
const call = async (route: Route, token: string) => {
  const path = route.path.replace(':company_id', String(companyId)).replace(':domain', 'nothing.example').replace(/:[a-z_]+/g, '999999') + '/';
  if (!path.endsWith('/stream/')) return api.call(route.method, path, { token, body: route.method === 'GET' ? undefined : {} });
  // A live stream never ends by itself: an allowed call is its 200, and the stream is closed at once.
  const stream = await openSse(`${base}${path}`, token);
  stream.close();
  return { status: stream.status, body: stream.body };
};

describe('role matrix', () => {
  it('declares a role for every company route', () => {
    expect(routes.length).toBeGreaterThan(20);
    const company = routes.filter((r) => r.policy?.kind === 'company');
    expect(company.filter((r) => !COMPANY_ROLES.includes(r.policy.role)).map((r) => `${r.method} ${r.path}`)).toEqual([]);
    // Reads are for every member, but invitations and the audit events, which are for admins; changes need more than a viewer.
    const adminReads = ['invitations', 'events'];
    expect(company.filter((r) => r.method === 'GET' && r.policy.role !== 'viewer' && !adminReads.some((p) => r.path.includes(p))).map((r) => r.path)).toEqual([]);
  });

  it('lets each role do what the route declares, and no more', async () => {
    const wrong: string[] = [];
    for (const route of routes.filter((r) => r.policy?.kind === 'company')) {
      for (const role of COMPANY_ROLES) {
        const answer = await call(route, tokens[role]);
        const allowed = COMPANY_ROLES.indexOf(role) >= COMPANY_ROLES.indexOf(route.policy.role!);
        const refused = answer.status === 403 && /needs the \w+ role/.test(answer.body?.message ?? '');
        if (allowed === refused) wrong.push(`${role} ${route.method} ${route.path}: ${answer.status} ${answer.body?.message ?? ''}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('gives a read-only token reads only, and a scoped-away token nothing of the company', async () => {
    const wrong: string[] = [];
    for (const route of routes.filter((r) => r.policy?.kind !== 'public')) {
      const read = await call(route, tokens.read);
      const change = route.method !== 'GET';
      if (change !== (read.status === 403 && /read-only/.test(read.body?.message ?? ''))) wrong.push(`read ${route.method} ${route.path}: ${read.status}`);
      if (route.policy.kind === 'company') {
        const scoped = await call(route, tokens.scoped);
        // Changes refused for being changes first would tell nothing either; reads must be 404.
        if (scoped.status !== 404) wrong.push(`scoped ${route.method} ${route.path}: ${scoped.status}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('records no event for a call refused or invalid', async () => {
    // Every call above had an empty body and ids that exist nowhere, so changed nothing; except
    // the domain routes, whose only input is the path: verifying and forgetting nothing.example
    // are valid requests, and their changes are recorded.
    const events = await db.query('SELECT action, target_id FROM events WHERE id > $1 ORDER BY id', [lastEventBefore]);
    expect(events.rows.filter((e) => !(e.target_id === 'nothing.example' && /^domain\./.test(e.action)))).toEqual([]);
  });
});
