import { QueryFailedError } from 'typeorm';

/**
 * When `err` is PostgreSQL refusing a write because of `constraint` (a unique
 * index, say), its detail (`Key (domain)=(shop.example.com) already exists.`);
 * otherwise null. How a race that only the index can settle becomes a 409.
 */
export function violated(err: unknown, constraint: string): { detail: string } | null {
  if (!(err instanceof QueryFailedError)) return null;
  const driverError = err.driverError as { constraint?: string; detail?: string };
  return driverError.constraint === constraint ? { detail: driverError.detail ?? '' } : null;
}
