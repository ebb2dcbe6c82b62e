import { EntityManager } from 'typeorm';
import { DomainError } from '../common/errors/domain-error.js';
import type { PortRange } from '../config/config.js';

// Any constant works; it only has to be the same in every Berth process.
const PORT_LOCK_KEY = 0x706f727473; // "ports"

export type PortColumn = 'host_port' | 'ssh_port';

/**
 * A port of `range` no app holds in `column`, for the caller's transaction.
 * Allocations are serialised by an advisory lock (released at commit) and the
 * column's unique index backs it up: two apps never get one port. Picked at
 * random so a port something outside Berth holds is not handed out again and again.
 */
export async function allocatePort(tx: EntityManager, column: PortColumn, range: PortRange, exclude: number[] = []): Promise<number> {
  await tx.query('SELECT pg_advisory_xact_lock($1)', [PORT_LOCK_KEY]);
  const rows: Array<{ port: number }> = await tx.query(
    `SELECT p AS port FROM generate_series($1::int, $2::int) p
      WHERE NOT EXISTS (SELECT 1 FROM apps WHERE ${column} = p) AND p <> ALL($3::int[])
      ORDER BY random() LIMIT 1`,
    [range.from, range.to, exclude],
  );
  if (rows.length === 0) {
    throw new DomainError('unavailable', `every port of ${range.from}-${range.to} is taken; the platform has no room for another app`);
  }
  return rows[0].port;
}
