import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { App } from '../../apps/entities/app.entity.js';

export const RELEASE_STATUSES = ['deploying', 'active', 'superseded', 'failed'] as const;
export type ReleaseStatus = (typeof RELEASE_STATUSES)[number];
export const RELEASE_SOURCES = ['archive', 'srv', 'rollback'] as const;
export type ReleaseSource = (typeof RELEASE_SOURCES)[number];

/**
 * One version of an app's `/srv/app`: its files are an archive in the release store (outside the
 * app's /srv quota), so any kept release can be deployed again. At most one release of an app is
 * deploying and at most one is active; the indexes hold that under parallel requests too.
 */
@Entity({ name: 'releases' })
@Index('releases_app_version_key', ['appId', 'version'], { unique: true })
@Index('releases_one_deploying', ['appId'], { unique: true, where: `"status" = 'deploying'` })
@Index('releases_one_active', ['appId'], { unique: true, where: `"status" = 'active'` })
@Check('releases_status_check', `"status" IN ('deploying', 'active', 'superseded', 'failed')`)
@Check('releases_source_check', `"source" IN ('archive', 'srv', 'rollback')`)
export class Release {
  @PrimaryGeneratedColumn({ primaryKeyConstraintName: 'PK_releases' })
  id: number;

  @Column({ name: 'app_id', type: 'int' })
  appId: number;

  @ManyToOne(() => App, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'app_id', foreignKeyConstraintName: 'releases_app_id_fkey' })
  app?: App;

  /** 1, 2, 3… per app. */
  @Column({ type: 'int' })
  version: number;

  @Column({ type: 'text' })
  status: ReleaseStatus;

  @Column({ type: 'text' })
  source: ReleaseSource;

  /** The release whose files (and config) a rollback brought back. */
  @Column({ name: 'rollback_of', type: 'int', nullable: true })
  rollbackOf: number | null;

  /** The archive's file in the release store; null until a snapshot of /srv/app has been taken. Rollbacks share their origin's. */
  @Column({ type: 'text', nullable: true })
  archive: string | null;

  /** Bytes of the archive (gzip). */
  @Column({ name: 'archive_size', type: 'bigint', default: 0, transformer: { to: (v: number) => v, from: (v: string) => Number(v) } })
  archiveSize: number;

  /** Bytes of the files it unpacks to. */
  @Column({ type: 'bigint', default: 0, transformer: { to: (v: number) => v, from: (v: string) => Number(v) } })
  size: number;

  /** The app's config version whose values the release runs with; for a rollback, the origin's (restored). */
  @Column({ name: 'config_version', type: 'int', nullable: true })
  configVersion: number | null;

  @Column({ name: 'operation_id', type: 'int', nullable: true })
  operationId: number | null;

  /** Who made it (null: an operator). */
  @Column({ name: 'account_id', type: 'int', nullable: true })
  accountId: number | null;

  /** The deploy's steps and the release command's output (its tail, when long). */
  @Column({ type: 'text', default: '' })
  log: string;

  /** Why it failed, or what became of it. */
  @Column({ type: 'text', nullable: true })
  message: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  /** When it became active: the predecessor of the active release is the superseded one activated last. */
  @Column({ name: 'activated_at', type: 'timestamptz', nullable: true })
  activatedAt: Date | null;

  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true })
  finishedAt: Date | null;
}
