import { type FastifyReply, type FastifyRequest, LogController } from 'fastify';

// Probes (load balancers, uptime checks, orchestrators) call these every few seconds;
// their successes would bury the access log. Failures are still logged.
const PROBES = new Set(['/api/v1/health', '/api/v1/health/', '/api/v1/version', '/api/v1/version/']);

/**
 * One line per finished request instead of Fastify's two, carrying what an
 * operator searches by: request id, account, company, status, time.
 */
export class RequestLog extends LogController {
  constructor() {
    super({ disableRequestLogging: false });
  }

  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const url = request.url.split('?')[0];
    if (reply.statusCode < 400 && PROBES.has(url)) return;
    request.log.info(
      {
        reqId: request.id,
        method: request.method,
        url,
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
        accountId: request.user?.accountId,
        companyId: request.company?.id,
        err: error ? error.message : undefined,
      },
      'request',
    );
  }
}
