import { Transform } from 'node:stream';

/** Passes bytes through, and fails with `tooMany(max)` once more than `max` have passed. */
export function byteBound(max: number, tooMany: (max: number) => Error): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      seen += chunk.length;
      done(seen > max ? tooMany(max) : null, chunk);
    },
  });
}
