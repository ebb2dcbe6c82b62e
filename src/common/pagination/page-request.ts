import type { BerthConfig } from '../../config/config.js';
import { DomainError, FieldErrors } from '../errors/domain-error.js';
import { CursorValues, decodeCursor } from './cursor.js';

/** What a client asked of a list: how many items, and from after which one. */
export interface PageRequest {
  limit: number;
  /** The sort key of the last item of the page before; null for the first page. */
  after: CursorValues | null;
}

/** One page of a list: its items and, when more follow, the cursor of the next page. */
export interface Page<T> {
  items: T[];
  next: string | null;
}

/**
 * `?limit=` and `?after=` of a list request, or a 400 naming each bad one. Without a limit a
 * list answers the configured default; an empty `after=` is the first page, so a client's loop
 * may start with an empty cursor.
 */
export function parsePageRequest(query: unknown, limits: BerthConfig['pagination']): PageRequest {
  const { limit, after } = (query ?? {}) as Record<string, unknown>;
  const errors: FieldErrors = {};
  const page: PageRequest = { limit: limits.defaultLimit, after: null };
  if (Array.isArray(limit)) errors.limit = ['must be given once'];
  else if (limit !== undefined) {
    const n = typeof limit === 'string' && /^\d{1,9}$/.test(limit) ? Number(limit) : NaN;
    if (n >= 1 && n <= limits.maxLimit) page.limit = n;
    else errors.limit = [`must be a whole number from 1 to ${limits.maxLimit}`];
  }
  if (Array.isArray(after)) errors.after = ['must be given once'];
  else if (typeof after === 'string' && after !== '') {
    try {
      page.after = decodeCursor(after);
    } catch (err) {
      errors.after = (err as DomainError).errors.after;
    }
  }
  if (Object.keys(errors).length > 0) throw DomainError.validation(errors);
  return page;
}
