import { pipeline, Transform } from 'node:stream';
import { createGzip } from 'node:zlib';

/** A tar stream carried more than `limit` bytes before it was compressed. */
export class TarTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`more than ${limit} bytes of tar`);
  }
}

/** A tar stream gzip'd, failing with TarTooLargeError once it has carried more than `max` bytes. */
export function gzipUpTo(tar: NodeJS.ReadableStream, max: number): NodeJS.ReadableStream {
  let seen = 0;
  const bound = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      seen += chunk.length;
      done(seen > max ? new TarTooLargeError(max) : null, chunk);
    },
  });
  const gzip = createGzip();
  // Unlike pipe(), a failure anywhere reaches the end the store reads, which then fails with it.
  pipeline(tar, bound, gzip, () => undefined);
  return gzip;
}
