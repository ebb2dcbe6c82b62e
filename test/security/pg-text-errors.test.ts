// Attack catalogue, the last line of defence: text PostgreSQL cannot store that still reaches it
// (a code path that skipped the validation pipe).
import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { QueryFailedError } from 'typeorm';
import { beforeAll, describe, expect, it } from 'vitest';
import { ErrorFilter } from '../../dist/src/common/errors/error.filter.js';

function answer(exception: unknown) {
  const sent: { status?: number; body?: any } = {};
  const reply = {
    headers: () => reply,
    status: (status: number) => ((sent.status = status), reply),
    send: (body: unknown) => ((sent.body = body), reply),
  };
  const request = { id: 'req-1', method: 'POST', url: '/api/v1/companies/' };
  const host = { switchToHttp: () => ({ getResponse: () => reply, getRequest: () => request }) };
  new ErrorFilter().catch(exception, host as never);
  return sent;
}

const pgError = (code: string, message: string) => new QueryFailedError('INSERT INTO companies (name) VALUES ($1)', ['x'], Object.assign(new Error(message), { code }));

describe('PostgreSQL refusing a character', () => {
  // The filter logs what it maps; that is for operators, not for this test's output.
  beforeAll(() => Logger.overrideLogger(false));

  // Attack: a NUL (SQLSTATE 22021 in text, 22P05 in jsonb) that reached PostgreSQL.
  // Expected: 400 validation_error, never 500 internal_error (and no SQL in the answer).
  // Reference: OWASP Input Validation Cheat Sheet; OWASP API Security Top 10 2023, API8:2023
  // Security Misconfiguration.
  it('answers 22021 and 22P05 with 400, not 500', () => {
    for (const [code, message] of [
      ['22021', 'invalid byte sequence for encoding "UTF8": 0x00'],
      ['22P05', 'unsupported Unicode escape sequence'],
    ]) {
      const sent = answer(pgError(code, message));
      expect(sent.status, code).toBe(400);
      expect(sent.body.code).toBe('validation_error');
      expect(JSON.stringify(sent.body)).not.toMatch(/INSERT|UTF8|0x00/);
    }
  });

  it('still answers other database failures with 500', () => {
    expect(answer(pgError('42P01', 'relation "plans" does not exist')).status).toBe(500);
  });
});
