import { beforeAll, describe, expect, it } from 'vitest';
import { useBerth } from './support/fixture.js';
import { register } from './support/http.js';

const fx = useBerth('errors', { BODY_LIMIT: '4kb' });
let token: string;
beforeAll(async () => {
  token = (await register(fx.api)).token;
});

const expectShape = (body: any) => {
  expect(Object.keys(body).sort()).toEqual(['code', 'errors', 'message']);
  expect(typeof body.message).toBe('string');
};

describe('the error contract', () => {
  it('names every invalid field', async () => {
    const answer = await fx.api.post('/auth/register/', { body: { email: 'not-an-email', password: 'short', name: '' } });
    expect(answer.status).toBe(400);
    expectShape(answer.body);
    expect(answer.body.code).toBe('validation_error');
    expect(answer.body.errors).toEqual({
      email: ['must be an email address'],
      password: ['must be 10 to 1024 characters long'],
      name: ['must be longer than or equal to 1 characters'],
    });
  });

  it('rejects unknown body fields by name', async () => {
    const answer = await fx.api.post('/companies/', { token, body: { name: 'ok', plan: 3, owner_id: 1 } });
    expect(answer.status).toBe(400);
    expect(answer.body.errors).toEqual({ plan: ['is not a known field'], owner_id: ['is not a known field'] });
  });

  it('rejects wrong types by name', async () => {
    const answer = await fx.api.post('/companies/', { token, body: { name: 42 } });
    expect(answer.status).toBe(400);
    expect(answer.body.errors.name).toContain('must be a string');
  });

  it('answers malformed JSON, a non-object body and a wrong content type in the shape', async () => {
    const malformed = await fx.api.post('/companies/', { token, rawBody: '{"name": ', headers: { 'content-type': 'application/json' } });
    expect(malformed.status).toBe(400);
    expectShape(malformed.body);
    expect(malformed.body.errors).toEqual({ body: ['is not valid JSON'] });

    const array = await fx.api.post('/companies/', { token, rawBody: '[1,2]', headers: { 'content-type': 'application/json' } });
    expect(array.status).toBe(400);
    expect(array.body.errors).toEqual({ body: ['must be a JSON object'] });

    const text = await fx.api.post('/companies/', { token, rawBody: 'name=x', headers: { 'content-type': 'text/plain' } });
    expect(text.status).toBe(400);
    expectShape(text.body);
    expect(text.body.errors).toHaveProperty('body');

    const empty = await fx.api.post('/companies/', { token, rawBody: '', headers: { 'content-type': 'application/json' } });
    expect(empty.status).toBe(400);
    expectShape(empty.body);
  });

  it('refuses an oversize body with 413 in the shape (limit configurable)', async () => {
    const answer = await fx.api.post('/companies/', { token, body: { name: 'x'.repeat(8 * 1024) } });
    expect(answer.status).toBe(413);
    expectShape(answer.body);
    expect(answer.body.code).toBe('payload_too_large');
  });

  it('answers unknown routes and methods with 404 in the shape', async () => {
    for (const [method, path] of [
      ['GET', '/nope'],
      ['GET', '/1/plans/extra/deep'],
      ['PATCH', '/companies/'],
      ['GET', '/../../etc/passwd'],
    ]) {
      const answer = await fx.api.call(method, path, { token });
      expect(answer.status, `${method} ${path}`).toBe(404);
      expectShape(answer.body);
      expect(answer.body.code).toBe('not_found');
    }
  });

  it('serves every route with and without a trailing slash', async () => {
    expect((await fx.api.get('/companies', { token })).status).toBe(200);
    expect((await fx.api.get('/companies/', { token })).status).toBe(200);
    expect((await fx.api.get('/health/')).status).toBe(200);
  });

  it('turns an unexpected failure into a 500 with no SQL, stack or path', async () => {
    const { token: t, company } = await register(fx.api);
    await fx.db.query('ALTER TABLE plans RENAME TO plans_moved');
    try {
      const answer = await fx.api.get(`/${company.id}/plans/`, { token: t });
      expect(answer.status).toBe(500);
      expectShape(answer.body);
      expect(answer.body.code).toBe('internal_error');
      expect(answer.text).not.toMatch(/plans|SELECT|relation|\.ts|\.js|at |node_modules/i);
      expect(answer.body.message).toContain(answer.headers.get('x-request-id'));
      // The operator's log has the details the client did not get.
      await fx.berth.waitForLog(/unexpected error/);
    } finally {
      await fx.db.query('ALTER TABLE plans_moved RENAME TO plans');
    }
  });

  it('tags every answer with a request id and keeps a safe client-sent one', async () => {
    const answer = await fx.api.get('/health', { headers: { 'x-request-id': 'trace-123' } });
    expect(answer.headers.get('x-request-id')).toBe('trace-123');
    const unsafe = await fx.api.get('/health', { headers: { 'x-request-id': 'bad id\twith spaces' } });
    expect(unsafe.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('never writes the Authorization header or passwords to the log', async () => {
    await fx.api.post('/auth/login/', { body: { email: 'who@example.test', password: 'P4ssword-in-the-body' } });
    await fx.berth.waitForLog(/"url":"\/api\/v1\/auth\/login\/","status":401/);
    expect(fx.berth.logs()).not.toContain(token);
    expect(fx.berth.logs()).not.toContain('P4ssword-in-the-body');
    expect(fx.berth.logs()).toMatch(/"msg":"request"/);
  });
});
