import { EntityManager } from 'typeorm';
import type { PreparedChange } from '../apps/app-changes.js';
import type { App } from '../apps/entities/app.entity.js';
import { AppOperation } from '../provisioning/jobs.js';
import type { AuditActor } from '../common/access/principal.js';
import { AppConfigVar } from './entities/app-config-var.entity.js';
import { AppConfigVersion, ConfigChange, ConfigSnapshot } from './entities/app-config-version.entity.js';

/**
 * Makes the app's next config version from its variables as they now are (written before this
 * is called), naming what changed (never a value), and keeps the history to `keep` versions,
 * besides those a kept release runs with (a rollback brings them back). Bumps
 * `app.configVersion`; the caller saves the app.
 */
export async function recordConfigVersion(tx: EntityManager, app: App, changes: ConfigChange[], actor: AuditActor, keep: number): Promise<void> {
  app.configVersion += 1;
  const snapshot = configSnapshot(await tx.getRepository(AppConfigVar).find({ where: { appId: app.id } }));
  await tx.getRepository(AppConfigVersion).insert({ appId: app.id, version: app.configVersion, changes, snapshot, accountId: actor.accountId });
  // A bounded history: a client looping over changes must not grow the database without end.
  await tx
    .createQueryBuilder()
    .delete()
    .from(AppConfigVersion)
    .where('app_id = :appId AND version <= :oldest', { appId: app.id, oldest: app.configVersion - keep })
    .andWhere('version NOT IN (SELECT config_version FROM releases WHERE app_id = :appId AND config_version IS NOT NULL)')
    .execute();
}

/** The variables as a version keeps them: secrets stay sealed (bound to the app and the name, so they open only here). */
export function configSnapshot(rows: AppConfigVar[]): ConfigSnapshot {
  const snapshot: ConfigSnapshot = {};
  for (const row of rows) snapshot[row.name] = row.sealed !== null ? { sealed: row.sealed } : { value: row.value! };
  return snapshot;
}

/** The changes a binding's variables make: every one set or removed, the password as a secret. */
export function bindingChanges(names: string[], change: 'set' | 'unset'): ConfigChange[] {
  return names.map((name) => ({ name, change, secret: name.endsWith('_PASSWORD') }));
}

/**
 * The app's change that applies its latest config version: its container is made again with it.
 * An app being deleted applies nothing and keeps its status.
 */
export function applyingConfig(app: App, event: PreparedChange['event']): PreparedChange {
  if (!app.deleting) app.configTargetVersion = app.configVersion;
  return { app, kind: AppOperation.Config, status: app.enabled && !app.deleting ? 'updating' : app.status, event };
}
