import { EntityManager } from 'typeorm';
import type { App } from '../apps/entities/app.entity.js';
import type { AuditActor } from '../common/access/principal.js';
import { boundStorages, managedNames } from './bound-storages.js';
import { recordConfigVersion } from './config-versions.js';
import { AppConfigVar } from './entities/app-config-var.entity.js';
import { AppConfigVersion, ConfigChange, ConfigSnapshot } from './entities/app-config-version.entity.js';

export interface Restored {
  /** False when the version's values are not kept (a version older than snapshots): the config stays as it is. */
  restored: boolean;
  changes: ConfigChange[];
}

/**
 * Puts the app's variables back as config version `version` had them, as a new version (the
 * history only grows). Variables a storage binding manages now stay the binding's. Secrets come
 * back sealed as they were: their values are never opened here. Version 0 is the empty config.
 */
export async function restoreConfigVersion(tx: EntityManager, app: App, version: number, actor: AuditActor, keep: number): Promise<Restored> {
  const snapshot: ConfigSnapshot | null =
    version === 0 ? {} : ((await tx.getRepository(AppConfigVersion).findOne({ where: { appId: app.id, version } }))?.snapshot ?? null);
  if (snapshot === null) return { restored: false, changes: [] };
  const repo = tx.getRepository(AppConfigVar);
  const current = new Map((await repo.find({ where: { appId: app.id } })).map((row) => [row.name, row]));
  const managed = managedNames(await boundStorages(tx, app.id));
  const changes: ConfigChange[] = [];
  for (const [name, row] of current) {
    if (name in snapshot) continue;
    await repo.delete({ appId: app.id, name });
    changes.push({ name, change: 'unset', secret: row.sealed !== null });
  }
  for (const [name, kept] of Object.entries(snapshot)) {
    if (managed.has(name)) continue;
    const value = 'value' in kept ? kept.value : null;
    const sealed = 'sealed' in kept ? kept.sealed : null;
    const row = current.get(name);
    if (row && row.value === value && row.sealed === sealed) continue;
    await repo.upsert({ appId: app.id, name, value, sealed }, ['appId', 'name']);
    changes.push({ name, change: 'set', secret: sealed !== null });
  }
  if (changes.length > 0) await recordConfigVersion(tx, app, changes, actor, keep);
  return { restored: true, changes };
}
