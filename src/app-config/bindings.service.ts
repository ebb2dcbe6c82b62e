import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppChanges } from '../apps/app-changes.js';
import { App } from '../apps/entities/app.entity.js';
import type { AuditActor } from '../common/access/principal.js';
import { DomainError } from '../common/errors/domain-error.js';
import { randomBase62 } from '../common/random-text.js';
import { BerthConfig } from '../config/config.js';
import { CONFIG } from '../config/config.module.js';
import { STORAGE_ENGINES } from '../storages/engines/storage-engine.js';
import type { StorageEngines } from '../storages/engines/storage-engines.module.js';
import { Storage } from '../storages/storage.entity.js';
import { StoragesService } from '../storages/storages.service.js';
import { bindingNames, DEFAULT_PREFIX, storagePasswordContext } from './binding-vars.js';
import { boundStorages, forgetPasswordIfUnbound } from './bound-storages.js';
import { nameProblem } from './config-rules.js';
import { applyingConfig, bindingChanges, recordConfigVersion } from './config-versions.js';
import { BindingChangeDto, BindingDto, CreateBindingDto } from './dto/binding.dto.js';
import { AppBinding } from './entities/app-binding.entity.js';
import { AppConfigVar } from './entities/app-config-var.entity.js';
import { SECRET_BOX } from './secret-box.provider.js';
import { SecretBox } from './secret-box.js';

/**
 * Storages bound to apps (Heroku's add-ons, Tsuru's service bindings): a binding gives the app
 * `<PREFIX>_URL` and its parts, the password among them as a secret. Binding, unbinding and a
 * storage's password change each make a config version of every app concerned and apply it.
 */
@Injectable()
export class BindingsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(CONFIG) private readonly config: BerthConfig,
    @Inject(SECRET_BOX) private readonly box: SecretBox,
    @Inject(STORAGE_ENGINES) private readonly engines: StorageEngines,
    private readonly changes: AppChanges,
    private readonly storages: StoragesService,
  ) {}

  async list(companyId: number, appId: number): Promise<BindingDto[]> {
    if (!(await this.db.getRepository(App).exists({ where: { id: appId, companyId } }))) throw DomainError.notFound('app');
    return (await boundStorages(this.db.manager, appId)).map((b) => view(b.storageId, b.type, b.name, b.prefix, b.createdAt));
  }

  async bind(companyId: number, appId: number, input: CreateBindingDto, actor: AuditActor): Promise<BindingChangeDto> {
    const prefix = input.prefix ?? DEFAULT_PREFIX;
    const names = bindingNames(prefix);
    const problem = names.map(nameProblem).find(Boolean);
    if (problem) throw DomainError.field('prefix', `makes variables that ${problem.replace(/^is /, 'are ')}`);
    if ((input.password === undefined) === (input.rotate !== true)) {
      throw DomainError.field('password', 'give the storage\'s current password, or "rotate": true for a new one (not both)');
    }
    this.box.assertEnabled();
    if (!(await this.db.getRepository(App).exists({ where: { id: appId, companyId } }))) throw DomainError.notFound('app');
    const storage = await this.db.getRepository(Storage).findOne({ where: { id: input.storage_id, companyId } });
    if (!storage) throw DomainError.field('storage_id', 'is not a storage of this company');
    if (storage.status !== 'ready') throw new DomainError('conflict', `the storage is ${storage.status}; it can be bound once it is ready`);

    let password = input.password;
    let storageOperationId: number | null = null;
    if (password !== undefined) {
      if (!(await this.engines.get(storage.type)!.checkPassword(storage.username, password))) {
        throw DomainError.field('password', "is not the storage's current password");
      }
    } else {
      // 32 characters of [A-Za-z0-9]: 190 bits, and nothing any URL, shell or driver would mangle.
      password = randomBase62(32);
      storageOperationId = (await this.storages.update(companyId, storage.id, { password }, actor)).operation_id;
    }
    const sealed = this.box.seal(password, storagePasswordContext(storage.id));
    let createdAt = new Date();
    const app = await this.changes.record(companyId, appId, actor, async (tx, app) => {
      if (app!.deleting) throw new DomainError('conflict', 'the app is being deleted');
      const bound = await boundStorages(tx, app!.id);
      if (bound.some((b) => b.storageId === storage.id)) throw new DomainError('conflict', `storage ${storage.id} is already bound to this app`);
      if (bound.some((b) => b.prefix === prefix)) throw DomainError.field('prefix', `${prefix} is the prefix of another binding of this app`);
      const clash = await tx.getRepository(AppConfigVar).findOne({ where: names.map((name) => ({ appId: app!.id, name })) });
      if (clash) throw DomainError.field('prefix', `would manage ${clash.name}, a variable of the app: remove it or choose another prefix`);
      createdAt = (await tx.getRepository(AppBinding).save({ appId: app!.id, storageId: storage.id, prefix })).createdAt;
      await tx.getRepository(Storage).update({ id: storage.id }, { sealedPassword: sealed });
      await recordConfigVersion(tx, app!, bindingChanges(names, 'set'), actor, this.config.appConfig.versionsKept);
      return applyingConfig(app!, { action: 'app.bind', data: { storage_id: storage.id, prefix, version: app!.configVersion } });
    });
    return { ...view(storage.id, storage.type, storage.name, prefix, createdAt), version: app.configVersion, operation_id: app.operationId, storage_operation_id: storageOperationId };
  }

  async unbind(companyId: number, appId: number, storageId: number, actor: AuditActor): Promise<BindingChangeDto> {
    let removed: BindingDto | null = null;
    const app = await this.changes.record(companyId, appId, actor, async (tx, app) => {
      if (app!.deleting) throw new DomainError('conflict', 'the app is being deleted');
      const bound = (await boundStorages(tx, app!.id)).find((b) => b.storageId === storageId);
      if (!bound) throw DomainError.notFound('binding');
      await tx.getRepository(AppBinding).delete({ appId: app!.id, storageId });
      await forgetPasswordIfUnbound(tx, storageId);
      await recordConfigVersion(tx, app!, bindingChanges(bindingNames(bound.prefix), 'unset'), actor, this.config.appConfig.versionsKept);
      removed = view(storageId, bound.type, bound.name, bound.prefix, bound.createdAt);
      return applyingConfig(app!, { action: 'app.unbind', data: { storage_id: storageId, prefix: bound.prefix, version: app!.configVersion } });
    });
    return { ...removed!, version: app.configVersion, operation_id: app.operationId, storage_operation_id: null };
  }
}

function view(storageId: number, type: BindingDto['type'], name: string, prefix: string, createdAt: Date): BindingDto {
  return { storage_id: storageId, type, name, prefix, variables: bindingNames(prefix), created_at: createdAt.toISOString() };
}
