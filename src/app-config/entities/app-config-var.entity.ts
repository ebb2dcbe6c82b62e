import { Check, Column, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { App } from '../../apps/entities/app.entity.js';

/** One environment variable of an app: a plain value, or a secret's value sealed (never both). */
@Entity({ name: 'app_config_vars' })
@Check('app_config_vars_one_value', '("value" IS NULL) <> ("sealed" IS NULL)')
export class AppConfigVar {
  @PrimaryColumn({ name: 'app_id', type: 'int', primaryKeyConstraintName: 'PK_app_config_vars' })
  appId: number;

  @ManyToOne(() => App, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'app_id', foreignKeyConstraintName: 'app_config_vars_app_id_fkey' })
  app?: App;

  @PrimaryColumn({ type: 'text', primaryKeyConstraintName: 'PK_app_config_vars' })
  name: string;

  @Column({ type: 'text', nullable: true })
  value: string | null;

  /** A secret's value, encrypted by SecretBox; its plain text is never stored. */
  @Column({ type: 'text', nullable: true })
  sealed: string | null;
}
