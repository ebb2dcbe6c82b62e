import { EntityManager } from 'typeorm';
import type { AppStatus } from '../apps/entities/app.entity.js';

/**
 * Records what was observed of an app outside any operation (by the sweep, or a
 * job it queued), unless an unfinished operation owns the app's status by now.
 */
export async function recordObservedStatus(tx: EntityManager, appId: number, status: AppStatus, message: string): Promise<void> {
  await tx.query(
    `UPDATE apps SET status = $1, status_message = $2 WHERE id = $3 AND NOT EXISTS
       (SELECT 1 FROM operations WHERE target_type = 'app' AND target_id = $3 AND status IN ('pending', 'running'))`,
    [status, message, appId],
  );
}
