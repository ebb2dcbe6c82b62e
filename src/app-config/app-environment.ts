import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, IsNull, Not } from 'typeorm';
import { App } from '../apps/entities/app.entity.js';
import { BerthConfig } from '../config/config.js';
import { CONFIG } from '../config/config.module.js';
import { bindingVars, storagePasswordContext } from './binding-vars.js';
import { boundStorages } from './bound-storages.js';
import { AppConfigVar } from './entities/app-config-var.entity.js';
import { SECRET_BOX } from './secret-box.provider.js';
import { SecretBox, secretContext } from './secret-box.js';

/** An app's secrets: the names whose values are secret, and the values as they are now. */
export interface AppSecrets {
  names: string[];
  values: string[];
}

export interface AppEnvironmentVersion {
  version: number;
  env: Record<string, string>;
}

/**
 * What an app's processes get as their environment: its stored variables with the secrets
 * opened, read with the version they make up in one snapshot.
 */
@Injectable()
export class AppEnvironment implements OnModuleInit {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(SECRET_BOX) private readonly box: SecretBox,
    @Inject(CONFIG) private readonly config: BerthConfig,
  ) {}

  /** A process that would have to open secrets and cannot does not start, rather than fail every app. */
  async onModuleInit(): Promise<void> {
    if (this.box.enabled) return;
    const [{ count }] = await this.db.query(`SELECT count(*)::int AS count FROM app_config_vars WHERE sealed IS NOT NULL`);
    if (count > 0) throw new Error(`SECRETS_KEY is not set, but the database holds ${count} app secret${count === 1 ? '' : 's'}: set the key they were sealed with`);
  }

  load(appId: number): Promise<AppEnvironmentVersion> {
    return this.db.transaction('REPEATABLE READ', async (tx) => {
      const app = await tx.getRepository(App).findOneOrFail({ where: { id: appId }, select: { id: true, configVersion: true } });
      const env: Record<string, string> = {};
      for (const row of await tx.getRepository(AppConfigVar).find({ where: { appId } })) {
        env[row.name] = row.sealed !== null ? this.box.open(row.sealed, secretContext(appId, row.name)) : row.value!;
      }
      // Managed by bindings: the config API refuses these names, so nothing is overwritten.
      for (const bound of await boundStorages(tx, appId)) {
        if (bound.sealedPassword === null) throw new Error(`storage ${bound.storageId} is bound to app ${appId} but its password is not kept`);
        const password = this.box.open(bound.sealedPassword, storagePasswordContext(bound.storageId));
        Object.assign(env, bindingVars(bound.prefix, bound, this.config.storages[bound.type], password));
      }
      return { version: app.configVersion, env };
    });
  }

  /**
   * The app's secret values: sealed variables and bound storages' passwords (the URLs made of
   * them hold them percent-encoded). What the names hold in a container made before the last
   * change may differ, which is why they are named too.
   */
  async secrets(appId: number): Promise<AppSecrets> {
    const names: string[] = [];
    const values: string[] = [];
    for (const row of await this.db.getRepository(AppConfigVar).find({ where: { appId, sealed: Not(IsNull()) } })) {
      names.push(row.name);
      values.push(this.box.open(row.sealed!, secretContext(appId, row.name)));
    }
    for (const bound of await boundStorages(this.db.manager, appId)) {
      names.push(`${bound.prefix}_PASSWORD`);
      if (bound.sealedPassword !== null) values.push(this.box.open(bound.sealedPassword, storagePasswordContext(bound.storageId)));
    }
    return { names, values };
  }
}
