import { PassThrough, Writable } from 'node:stream';

const HEADER = 8;

/**
 * Splits Docker's multiplexed exec stream (8-byte frame headers: stream type,
 * then payload length) into stdout and stderr. Unlike docker-modem's demuxer it
 * honours backpressure: a slow reader of either stream slows the container down
 * instead of buffering without bound (an rsync of gigabytes must not fill memory).
 */
export class DockerDemuxer extends Writable {
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();
  private pending: Buffer = Buffer.alloc(0);
  private target: PassThrough | null = null;
  private remaining = 0;

  constructor() {
    super();
    this.on('finish', () => {
      this.stdout.end();
      this.stderr.end();
    });
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (err?: Error | null) => void): void {
    this.pending = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    let blocked: PassThrough | null = null;
    while (this.pending.length > 0) {
      if (this.remaining === 0) {
        if (this.pending.length < HEADER) break;
        // 0 is stdin echoed back (never, without a tty); treat it like stdout.
        this.target = this.pending[0] === 2 ? this.stderr : this.stdout;
        this.remaining = this.pending.readUInt32BE(4);
        this.pending = this.pending.subarray(HEADER);
        continue;
      }
      const take = Math.min(this.remaining, this.pending.length);
      const piece = this.pending.subarray(0, take);
      this.pending = this.pending.subarray(take);
      this.remaining -= take;
      if (!this.target!.write(piece)) blocked = this.target;
    }
    if (blocked) blocked.once('drain', () => done());
    else done();
  }
}
