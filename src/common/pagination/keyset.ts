import type { ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { badCursor, CursorValues, encodeCursor } from './cursor.js';
import type { Page, PageRequest } from './page-request.js';

/**
 * How a sort key part is compared and what a cursor may carry for it. `timestamp` parts travel
 * as ISO strings with microseconds (select them with `isoMicros()`): a JS Date keeps only
 * milliseconds, and a cursor rounded down would hand out again the rows of its millisecond.
 */
export type KeyType = 'int' | 'text' | 'timestamp';

export interface KeyColumn<Row> {
  /** The column as the query names it, e.g. `app.id` (query builder) or `m.created_at` (SQL). */
  sql: string;
  type: KeyType;
  /** The part's value in a row the query returned. */
  of: (row: Row) => string | number;
}

const INT4 = 2 ** 31;
const ISO_MICROS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;
const CAST: Record<KeyType, string> = { int: 'int', text: 'text', timestamp: 'timestamptz' };

const valid: Record<KeyType, (v: unknown) => boolean> = {
  int: (v) => Number.isSafeInteger(v) && (v as number) >= -INT4 && (v as number) < INT4,
  text: (v) => typeof v === 'string',
  timestamp: (v) => typeof v === 'string' && ISO_MICROS.test(v) && !Number.isNaN(Date.parse(v)),
};

/** SQL giving a timestamptz column as the ISO text, microseconds kept, that `timestamp` key parts carry. */
export const isoMicros = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/**
 * A list's order, unique over its rows (the last part is a unique column), and its keyset
 * pagination: the next page is the rows that sort after the last one given, so rows created or
 * deleted between two pages shift nothing, unlike an OFFSET. All parts sort the same way, so
 * one row comparison, `(a, b) > ($1, $2)`, says "after".
 */
export class Keyset<Row> {
  constructor(
    readonly direction: 'ASC' | 'DESC',
    readonly columns: ReadonlyArray<KeyColumn<Row>>,
  ) {}

  /** By one integer id column: how most lists are ordered (newest first is DESC). */
  static byId<Row extends { id: number }>(column: string, direction: 'ASC' | 'DESC' = 'ASC'): Keyset<Row> {
    return new Keyset<Row>(direction, [{ sql: column, type: 'int', of: (row) => row.id }]);
  }

  /** `ORDER BY` terms for SQL. */
  get orderBy(): string {
    return this.columns.map((c) => `${c.sql} ${this.direction}`).join(', ');
  }

  /**
   * SQL selecting the rows after the cursor (`TRUE` on the first page), for a query with
   * positional parameters: the cursor's values are appended to `params`.
   */
  where(page: PageRequest, params: unknown[]): string {
    const values = this.cursor(page);
    if (!values) return 'TRUE';
    const placeholders = values.map((v, i) => `CAST($${params.push(v)} AS ${CAST[this.columns[i].type]})`);
    return this.compare(placeholders);
  }

  /** How many rows to ask for: one more than the page holds, so `page()` can tell whether another follows. */
  fetch(page: PageRequest): number {
    return page.limit + 1;
  }

  /** Orders and limits a TypeORM query to the page, and selects the rows after the cursor. */
  apply<Q extends SelectQueryBuilder<ObjectLiteral>>(query: Q, page: PageRequest): Q {
    const values = this.cursor(page);
    if (values) {
      const names = values.map((_, i) => `pageAfter${i}`);
      const placeholders = names.map((name, i) => `CAST(:${name} AS ${CAST[this.columns[i].type]})`);
      query.andWhere(this.compare(placeholders), Object.fromEntries(names.map((name, i) => [name, values[i]])));
    }
    this.columns.forEach((c, i) => (i === 0 ? query.orderBy(c.sql, this.direction) : query.addOrderBy(c.sql, this.direction)));
    return query.limit(this.fetch(page));
  }

  /**
   * The page among `rows`, fetched with `apply` or `LIMIT fetch(page)`: the one row more than
   * the limit only says that another page follows.
   */
  page(rows: Row[], page: PageRequest): Page<Row> {
    if (rows.length <= page.limit) return { items: rows, next: null };
    const items = rows.slice(0, page.limit);
    return { items, next: encodeCursor(this.columns.map((c) => c.of(items[items.length - 1]))) };
  }

  private compare(placeholders: string[]): string {
    const op = this.direction === 'ASC' ? '>' : '<';
    const row = (parts: string[]) => (parts.length === 1 ? parts[0] : `(${parts.join(', ')})`);
    return `${row(this.columns.map((c) => c.sql))} ${op} ${row(placeholders)}`;
  }

  /** The cursor's values checked against this order's parts; 400 naming `after` for another list's cursor. */
  private cursor(page: PageRequest): CursorValues | null {
    if (!page.after) return null;
    if (page.after.length !== this.columns.length || !page.after.every((v, i) => valid[this.columns[i].type](v))) throw badCursor();
    return page.after;
  }
}
