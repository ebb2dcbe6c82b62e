import { LoggerService } from '@nestjs/common';
import { pino, type Logger } from 'pino';
import type { BerthConfig } from '../../config/config.js';
import { LineBatcher } from './line-batcher.js';

// Request and response bodies and headers are never logged; these paths are a second
// line of defence should one ever be. Explicit paths only: wildcard redaction costs
// several microseconds on every line, i.e. on every request.
const REDACT = ['req.headers.authorization', 'headers.authorization', 'authorization', 'password', 'token', 'ssh_password'];

const FLUSH_EVERY_MS = 200;
const BATCH_CHARS = 4096;

export function createLogger(config: Pick<BerthConfig, 'logLevel'>): Logger {
  // Buffered writes: lines go out 4 KiB at a time (or every 200 ms when traffic is light)
  // instead of one write(2) per request, which on a busy API cost more than building the lines.
  // The batcher holds and joins them (see LineBatcher for why sonic-boom gets whole batches);
  // each batch is then written at once, synchronously. An asynchronous write still in flight
  // when the process exits is raced by the exit's synchronous flush: lines came out of order,
  // or torn, in a third of exits under load. flushLogs() and the exit write out what is pending.
  const sink = pino.destination({ dest: 1, sync: true, minLength: 0 });
  const destination = new LineBatcher(sink, BATCH_CHARS, FLUSH_EVERY_MS);
  return pino({ level: config.logLevel, base: { service: 'berth', pid: process.pid }, redact: { paths: REDACT, censor: '[redacted]' } }, destination);
}

/** Writes out buffered log lines; call before process.exit(). */
export function flushLogs(logger: Logger): void {
  try {
    logger.flush();
  } catch {
    // Nothing more can be done about a log that cannot be written.
  }
}

/** Nest's own log lines (start-up, errors from filters) go through the same pino logger. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  private write(level: 'info' | 'warn' | 'error' | 'debug' | 'trace', message: unknown, params: unknown[]): void {
    const context = typeof params[params.length - 1] === 'string' ? (params.pop() as string) : undefined;
    const fields = typeof message === 'object' && message !== null ? (message as Record<string, unknown>) : undefined;
    const text = fields ? (params.shift() as string | undefined) : String(message);
    this.logger[level]({ context, ...fields }, text ?? '');
  }

  log(message: unknown, ...params: unknown[]): void {
    this.write('info', message, params);
  }
  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }
  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }
  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }
  verbose(message: unknown, ...params: unknown[]): void {
    this.write('trace', message, params);
  }
}
