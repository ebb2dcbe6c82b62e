// How dockerode reports failures: HTTP errors carry statusCode and the engine's
// message in json; a socket that is not there fails with a Node errno.

const UNAVAILABLE_ERRNO = new Set(['ECONNREFUSED', 'ENOENT', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'EACCES']);

export function isNotFound(err: unknown): boolean {
  return (err as { statusCode?: number })?.statusCode === 404;
}

export function isUnavailable(err: unknown): boolean {
  const e = err as { code?: string; statusCode?: number; message?: string };
  if (e?.code && UNAVAILABLE_ERRNO.has(e.code)) return true;
  if (e?.statusCode === 502 || e?.statusCode === 503) return true;
  return /did not answer within|socket hang up|Timeout of \d+ms exceeded/i.test(e?.message ?? '');
}

/** The engine's own sentence, without dockerode's "(HTTP code 500) server error - " preamble. */
export function describeDockerError(err: unknown): string {
  const e = err as { json?: { message?: string }; message?: string };
  const message = e?.json?.message ?? e?.message ?? String(err);
  return message.replace(/^\(HTTP code \d+\) [^-]*- /, '').trim();
}
