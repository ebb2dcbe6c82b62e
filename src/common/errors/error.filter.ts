import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { QueryFailedError } from 'typeorm';
import { DomainError, ErrorBody, ErrorCode } from './domain-error.js';

const CODE_BY_STATUS: Record<number, ErrorCode> = {
  400: 'validation_error',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'not_found',
  409: 'conflict',
  413: 'payload_too_large',
  429: 'rate_limited',
  503: 'unavailable',
};

/** Errors of Fastify's own request handling (body parsing and the like), worded for API clients. */
function fastifyError(err: { code: string; statusCode?: number; message: string }): DomainError | undefined {
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON':
      return DomainError.field('body', 'is not valid JSON');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return DomainError.field('body', 'must be sent with Content-Type: application/json');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new DomainError('payload_too_large', 'request body is larger than this server accepts');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return DomainError.field('body', 'length does not match Content-Length');
    default:
      return undefined;
  }
}

// PostgreSQL refusing a character in text (22021, a NUL) or jsonb (22P05, \u0000). The
// validation pipe refuses these first; one that still reaches the database came from the
// client all the same, so it is a 400, logged as a warning so the gap gets closed.
const UNSTORABLE_TEXT = new Set(['22021', '22P05']);
function isUnstorableText(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  // TypeORM wraps the driver's error; queries sent through `pg` directly throw it as is.
  const driverError = err instanceof QueryFailedError ? (err.driverError as { code?: string }) : (err as { code?: string });
  return UNSTORABLE_TEXT.has(driverError?.code ?? '');
}

// Connection-level failures of PostgreSQL or Redis: the request did nothing, try again later.
const UNAVAILABLE_ERRNO = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EPIPE']);
function isBackingServiceDown(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: string }).code ?? '';
  // PostgreSQL: connection exceptions (08), operator intervention (57P), out of resources (53),
  // a database that is gone (3D000) or closed to connections (55000 at connect time).
  if (UNAVAILABLE_ERRNO.has(code) || /^(08|57P|53)/.test(code) || code === '3D000') return true;
  if (code === '55000' && /accepting connections/.test(err.message)) return true;
  return /Connection terminated|timeout exceeded when trying to connect|Connection is closed|Stream isn't writeable|enableOfflineQueue/i.test(
    err.message,
  );
}

/**
 * The client closed the connection before its request body was in (an upload cancelled, a
 * deploy script killed): Node fails the body's stream with this. Nothing is wrong on this side,
 * and nobody is left to read the answer; it is not a backing service being down.
 */
function isClientAbort(err: unknown): boolean {
  return err instanceof Error && (err as { code?: string }).code === 'ECONNRESET' && err.message === 'aborted';
}

/** The one place that turns any thrown value into the contract's error shape. */
@Catch()
export class ErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('http');

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const request = host.switchToHttp().getRequest<FastifyRequest>();
    const error = this.toDomainError(exception, request);
    const body: ErrorBody = { message: error.message, code: error.code, errors: error.errors };
    void reply.headers(error.headers).status(error.status).send(body);
  }

  private toDomainError(exception: unknown, request: FastifyRequest): DomainError {
    if (exception instanceof DomainError) return exception;
    // Nest's Fastify adapter wraps Fastify's own 4xx errors in an HttpException; the original is the cause.
    const fst = (exception instanceof HttpException ? exception.cause : exception) as { code?: unknown; message: string } | undefined;
    if (typeof fst?.code === 'string' && fst.code.startsWith('FST_')) {
      const mapped = fastifyError(fst as { code: string; message: string });
      if (mapped) return mapped;
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const code = CODE_BY_STATUS[status];
      if (status === 404 || status === 405) {
        return new DomainError('not_found', `no route for ${request.method} ${request.url.split('?')[0]}`);
      }
      if (code && status < 500) return new DomainError(code, exception.message);
    }
    if (isUnstorableText(exception)) {
      this.logger.warn({ err: describe(exception), reqId: request.id }, 'text the database cannot store got past validation');
      return DomainError.validation({}, 'the request holds a character that cannot be stored (NUL, U+0000)');
    }
    if (isClientAbort(exception)) {
      this.logger.log({ reqId: request.id }, 'the client closed the connection before its request body was in');
      return DomainError.field('body', 'was not received whole: the client closed the connection');
    }
    if (isBackingServiceDown(exception)) {
      this.logger.warn({ err: describe(exception), reqId: request.id }, 'backing service unavailable');
      return new DomainError('unavailable', 'a backing service is unavailable; nothing was changed, try again shortly');
    }
    // Anything else is a bug: log it whole, answer with nothing of it.
    this.logger.error({ err: describe(exception), reqId: request.id }, 'unexpected error');
    return new DomainError('internal_error', `internal error (request ${request.id})`);
  }
}

function describe(exception: unknown): Record<string, unknown> {
  if (exception instanceof QueryFailedError) {
    return { type: 'QueryFailedError', message: exception.message, code: (exception.driverError as { code?: string })?.code };
  }
  if (exception instanceof Error) return { type: exception.name, message: exception.message, stack: exception.stack };
  return { value: String(exception) };
}
