import { createGunzip, type Gunzip } from 'node:zlib';

// zlib's default 16 KiB output buffers make a 50 MB release about 3 300 buffers and callbacks on
// the main thread; 256 KiB ones check an archive in about half the time (bench/README.md, session 24).
const OUTPUT_CHUNK_BYTES = 256 * 1024;

/** A gunzip stream for release archives: larger output buffers than zlib's default. */
export function gunzip(): Gunzip {
  return createGunzip({ chunkSize: OUTPUT_CHUNK_BYTES });
}
