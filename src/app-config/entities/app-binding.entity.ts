import { CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, Column } from 'typeorm';
import { App } from '../../apps/entities/app.entity.js';
import { Storage } from '../../storages/storage.entity.js';

/** A storage bound to an app: the app's environment gets `<prefix>_URL`, `_HOST`, `_PORT`, `_NAME`, `_USER`, `_PASSWORD`. */
@Entity({ name: 'app_bindings' })
@Index('app_bindings_app_prefix_key', ['appId', 'prefix'], { unique: true })
export class AppBinding {
  @PrimaryColumn({ name: 'app_id', type: 'int', primaryKeyConstraintName: 'PK_app_bindings' })
  appId: number;

  @ManyToOne(() => App, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'app_id', foreignKeyConstraintName: 'app_bindings_app_id_fkey' })
  app?: App;

  @Index('app_bindings_storage_id_idx')
  @PrimaryColumn({ name: 'storage_id', type: 'int', primaryKeyConstraintName: 'PK_app_bindings' })
  storageId: number;

  @ManyToOne(() => Storage, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'storage_id', foreignKeyConstraintName: 'app_bindings_storage_id_fkey' })
  storage?: Storage;

  @Column({ type: 'text' })
  prefix: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
