import { LoggerService } from '@nestjs/common';
import { pino, type Logger } from 'pino';
import type { BerthConfig } from '../../config/config.js';

// Anything that could carry a credential is masked wherever it appears in a log object.
const REDACT = [
  'req.headers.authorization',
  'headers.authorization',
  'authorization',
  'password',
  '*.password',
  'token',
  '*.token',
  'ssh_password',
  '*.ssh_password',
];

export function createLogger(config: Pick<BerthConfig, 'logLevel'>): Logger {
  return pino({ level: config.logLevel, base: { service: 'berth', pid: process.pid }, redact: { paths: REDACT, censor: '[redacted]' } });
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
