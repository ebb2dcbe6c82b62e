import type { FastifyInstance } from 'fastify';

// What a browser page may read of an answer besides the simple headers: paging, back-off, tracing.
const EXPOSED = 'Link, Retry-After, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, X-Request-Id';
const METHODS = 'GET, POST, PUT, PATCH, DELETE';
const HEADERS = 'Authorization, Content-Type, Last-Event-ID, X-Request-Id';

/**
 * CORS for the listed origins only (CORS_ORIGINS; none by default): their pages may call the API
 * with `Authorization` and read the headers clients need. No cookies are involved, so no
 * credentials are allowed. A preflight from any other origin is refused with 403, and its other
 * requests get no CORS headers (the browser keeps the answer from the page).
 */
export function registerCors(fastify: FastifyInstance, origins: string[]): void {
  const allowed = new Set(origins);
  // Callback style: an async hook costs a promise per request on every route.
  fastify.addHook('onRequest', (request, reply, done) => {
    const origin = request.headers.origin;
    if (origin === undefined) return done();
    const preflight = request.method === 'OPTIONS' && request.headers['access-control-request-method'] !== undefined;
    if (!allowed.has(origin)) {
      if (!preflight) return done();
      void reply.code(403).send({ message: `origin ${origin.slice(0, 200)} may not call this API from a browser (CORS_ORIGINS)`, code: 'forbidden', errors: {} });
      return;
    }
    void reply.header('access-control-allow-origin', origin).header('vary', 'Origin').header('access-control-expose-headers', EXPOSED);
    if (!preflight) return done();
    void reply
      .header('access-control-allow-methods', METHODS)
      .header('access-control-allow-headers', HEADERS)
      .header('access-control-max-age', '600')
      .code(204)
      .send();
  });
}
