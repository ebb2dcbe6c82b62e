import { EntityManager } from 'typeorm';
import type { StorageType } from '../storages/engines/storage-engine.js';
import { bindingNames } from './binding-vars.js';

export interface BoundStorageRow {
  storageId: number;
  prefix: string;
  type: StorageType;
  name: string;
  username: string;
  sealedPassword: string | null;
  createdAt: Date;
}

/** The storages bound to an app, with what its managed variables are made of. */
export async function boundStorages(tx: EntityManager, appId: number): Promise<BoundStorageRow[]> {
  const rows: Array<Record<string, unknown>> = await tx.query(
    `SELECT b.storage_id, b.prefix, b.created_at, s.type, s.name, s.username, s.sealed_password
       FROM app_bindings b JOIN storages s ON s.id = b.storage_id WHERE b.app_id = $1 ORDER BY b.prefix`,
    [appId],
  );
  return rows.map((r) => ({
    storageId: r.storage_id as number,
    prefix: r.prefix as string,
    type: r.type as StorageType,
    name: r.name as string,
    username: r.username as string,
    sealedPassword: r.sealed_password as string | null,
    createdAt: r.created_at as Date,
  }));
}

/** Every variable name the app's bindings manage, to the storage managing it. */
export function managedNames(bound: BoundStorageRow[]): Map<string, number> {
  return new Map(bound.flatMap((b) => bindingNames(b.prefix).map((name) => [name, b.storageId] as [string, number])));
}

/** Berth keeps a storage's password only while some app needs it. */
export async function forgetPasswordIfUnbound(tx: EntityManager, storageId: number): Promise<void> {
  await tx.query(`UPDATE storages SET sealed_password = NULL WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM app_bindings WHERE storage_id = $1)`, [storageId]);
}
