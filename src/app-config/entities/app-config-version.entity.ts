import { Column, CreateDateColumn, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { App } from '../../apps/entities/app.entity.js';

/** What one change set or removed: names only, never a value. */
export interface ConfigChange {
  name: string;
  change: 'set' | 'unset';
  secret: boolean;
}

/** The variables a version stood for: plain values, and secrets as sealed (never in clear). */
export type ConfigSnapshot = Record<string, { value: string } | { sealed: string }>;

/** A version of an app's config: made by each change, kept as history. */
@Entity({ name: 'app_config_versions' })
export class AppConfigVersion {
  @PrimaryColumn({ name: 'app_id', type: 'int', primaryKeyConstraintName: 'PK_app_config_versions' })
  appId: number;

  @ManyToOne(() => App, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'app_id', foreignKeyConstraintName: 'app_config_versions_app_id_fkey' })
  app?: App;

  @PrimaryColumn({ type: 'int', primaryKeyConstraintName: 'PK_app_config_versions' })
  version: number;

  @Column({ type: 'jsonb' })
  changes: ConfigChange[];

  /** Its variables, for bringing it back (a rollback); null for versions made before snapshots were kept. */
  @Column({ type: 'jsonb', nullable: true })
  snapshot: ConfigSnapshot | null;

  /** Who made it (null: an operator command). */
  @Column({ name: 'account_id', type: 'int', nullable: true })
  accountId: number | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
