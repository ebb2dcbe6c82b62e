import { DomainError } from '../errors/domain-error.js';

/** What a cursor carries: the sort key of the last item a page gave, most significant part first. */
export type CursorValues = ReadonlyArray<string | number>;

// Sort keys are short (ids, a domain name, a timestamp); anything longer was not made here.
const MAX_LENGTH = 400;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

export const badCursor = () => DomainError.field('after', 'is not a cursor of this list: pass on the after= of the Link header the previous page gave');

/**
 * The cursor for the page after the item whose sort key is `values`. Opaque to clients
 * (base64url of a JSON array), so a list can change what its key holds without breaking them.
 */
export function encodeCursor(values: CursorValues): string {
  return Buffer.from(JSON.stringify(values), 'utf8').toString('base64url');
}

/** The values a cursor carries; 400 naming `after` when it is not one this server could have made. */
export function decodeCursor(cursor: string): CursorValues {
  if (cursor.length > MAX_LENGTH || !BASE64URL.test(cursor)) throw badCursor();
  let values: unknown;
  try {
    values = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw badCursor();
  }
  if (!Array.isArray(values) || values.length === 0 || !values.every((v) => typeof v === 'string' || typeof v === 'number')) throw badCursor();
  // Only the canonical form: a cursor that decodes but was not encoded by us was made up or mangled.
  if (encodeCursor(values) !== cursor) throw badCursor();
  return values;
}
