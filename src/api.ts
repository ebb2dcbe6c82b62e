import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyBaseLogger, RawServerDefault } from 'fastify';
import type { Logger } from 'pino';
import { ApiModule } from './api.module.js';
import { RequestLog } from './common/logging/request-log.js';
import { registerCors } from './common/http/cors.js';
import { registerPageResponses } from './common/pagination/page-response.js';
import { PinoNestLogger } from './common/logging/logger.js';
import { BerthConfig } from './config/config.js';
import { ARCHIVE_MEDIA_TYPES } from './releases/releases.controller.js';
import { setupOpenApi } from './openapi/openapi.js';

export const API_PREFIX = 'api/v1';
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/** Builds the HTTP API (not yet listening). Used by the server, the tests and the OpenAPI script. */
export async function createApi(config: BerthConfig, logger: Logger, options: { preview?: boolean } = {}): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    loggerInstance: logger,
    logController: new RequestLog(),
    // No child logger per request: the request log line names its request id itself,
    // which saves creating (and discarding) a pino child on every request.
    childLoggerFactory: (parent: FastifyBaseLogger) => parent,
    bodyLimit: config.bodyLimitBytes,
    trustProxy: config.trustProxy,
    // Rosti clients always send a trailing slash; generated SDKs never do.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
    genReqId: (req: IncomingMessage) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
  });
  const app = await NestFactory.create<NestFastifyApplication>(ApiModule.forRoot(config), adapter, {
    logger: new PinoNestLogger(logger),
    preview: options.preview,
    abortOnError: false,
  });
  app.setGlobalPrefix(API_PREFIX);

  const fastify = app.getHttpAdapter().getInstance();
  // Rosti's client sends `Content-Type: application/json` with an empty body on GET and
  // DELETE: an empty body is no body. Anything else goes to Fastify's own parser (which
  // also refuses prototype poisoning).
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  app.useBodyParser<RawServerDefault>('application/json', { bodyLimit: config.bodyLimitBytes }, (request, body, done) => {
    if (body.length === 0) return done(null, undefined);
    parseJson(request, body.toString('utf8'), done);
  });
  // Release archives stream to the release store as they arrive: never buffered, never bounded
  // by BODY_LIMIT (the releases service bounds them by RELEASE_ARCHIVE_MAX and the plan's disk).
  fastify.addContentTypeParser(ARCHIVE_MEDIA_TYPES, (_request, payload, done) => done(null, payload));
  // Callback style: an async hook costs a promise per request on every route.
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done();
  });
  registerCors(fastify, config.corsOrigins);
  registerPageResponses(fastify);
  setupOpenApi(app, config);
  return app;
}
