import { DataSource } from 'typeorm';
import { AppConfigVar } from './entities/app-config-var.entity.js';
import { AppConfigVersion } from './entities/app-config-version.entity.js';
import { SecretBox, secretContext } from './secret-box.js';

export interface Rotation {
  total: number;
  resealed: number;
  /** The sealed values config versions keep for rollbacks. */
  kept: { total: number; resealed: number };
}

/**
 * Re-seals every secret not sealed with SECRETS_KEY, in one transaction: either all move to the
 * new key or none do. Values do not change, so no app is restarted.
 */
export async function rotateSecrets(db: DataSource, box: SecretBox): Promise<Rotation> {
  if (!box.enabled) throw new Error('SECRETS_KEY is not set: set the new key there and the old one in SECRETS_KEY_PREVIOUS');
  return db.transaction(async (tx) => {
    const rows = await tx
      .getRepository(AppConfigVar)
      .createQueryBuilder('v')
      .where('v.sealed IS NOT NULL')
      .setLock('pessimistic_write')
      .getMany();
    let resealed = 0;
    for (const row of rows) {
      if (box.isCurrent(row.sealed!)) continue;
      const context = secretContext(row.appId, row.name);
      await tx.getRepository(AppConfigVar).update({ appId: row.appId, name: row.name }, { sealed: box.seal(box.open(row.sealed!, context), context) });
      resealed += 1;
    }
    // The values config versions keep for rollbacks are sealed too, and must open after the old key goes.
    const versions = await tx.getRepository(AppConfigVersion).createQueryBuilder('v').where('v.snapshot IS NOT NULL').setLock('pessimistic_write').getMany();
    const counts = { total: 0, resealed: 0 };
    for (const version of versions) {
      let changed = false;
      for (const [name, value] of Object.entries(version.snapshot!)) {
        if (!('sealed' in value)) continue;
        const sealed = value.sealed;
        counts.total += 1;
        if (box.isCurrent(sealed)) continue;
        const context = secretContext(version.appId, name);
        version.snapshot![name] = { sealed: box.seal(box.open(sealed, context), context) };
        changed = true;
        counts.resealed += 1;
      }
      if (changed) await tx.getRepository(AppConfigVersion).update({ appId: version.appId, version: version.version }, { snapshot: version.snapshot });
    }
    return { total: rows.length, resealed, kept: counts };
  });
}
