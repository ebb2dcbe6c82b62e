import { pipeline } from 'node:stream';
import { createGzip } from 'node:zlib';
import { byteBound } from './byte-bound.js';

/** A tar stream carried more than `limit` bytes before it was compressed. */
export class TarTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`more than ${limit} bytes of tar`);
  }
}

/** A tar stream gzip'd, failing with TarTooLargeError once it has carried more than `max` bytes. */
export function gzipUpTo(tar: NodeJS.ReadableStream, max: number): NodeJS.ReadableStream {
  const gzip = createGzip();
  // Unlike pipe(), a failure anywhere reaches the end the store reads, which then fails with it.
  pipeline(tar, byteBound(max, (limit) => new TarTooLargeError(limit)), gzip, () => undefined);
  return gzip;
}
