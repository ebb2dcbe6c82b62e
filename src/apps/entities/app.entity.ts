import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, OneToMany, PrimaryGeneratedColumn } from 'typeorm';
import { Company } from '../../companies/entities/company.entity.js';
import { Plan } from '../../plans/plan.entity.js';
import { Runtime } from '../../runtimes/runtime.entity.js';
import { AppDomain } from './app-domain.entity.js';

export const APP_MODES = ['http', 'https+le'] as const;
export type AppMode = (typeof APP_MODES)[number];

/** What the platform last saw of the app, or what it is busy doing to it. */
export const APP_STATUSES = ['creating', 'starting', 'stopping', 'restarting', 'rebuilding', 'updating', 'running', 'stopped', 'error', 'deleting'] as const;
export type AppStatus = (typeof APP_STATUSES)[number];

/**
 * An app: the description of an environment. The worker makes Docker match it
 * (its container, volume and published port); nothing here is the container itself.
 */
@Entity('apps')
// Unique on (company_id, lower(name)), made by a migration: TypeORM cannot declare an expression index.
@Index('apps_company_name_key', { synchronize: false })
export class App {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ name: 'company_id', type: 'int' })
  companyId: number;

  @ManyToOne(() => Company, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'company_id', foreignKeyConstraintName: 'apps_company_id_fkey' })
  company?: Company;

  @Column({ type: 'text' })
  name: string;

  /** A runtime tag of the catalog; the foreign key keeps it one. */
  @Column({ type: 'text' })
  image: string;

  @ManyToOne(() => Runtime, { onDelete: 'RESTRICT', onUpdate: 'CASCADE' })
  @JoinColumn({ name: 'image', referencedColumnName: 'image', foreignKeyConstraintName: 'apps_image_fkey' })
  runtime?: Runtime;

  @Column({ name: 'plan_id', type: 'int' })
  planId: number;

  @ManyToOne(() => Plan, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'plan_id', foreignKeyConstraintName: 'apps_plan_id_fkey' })
  plan?: Plan;

  @Column({ type: 'enum', enum: APP_MODES, enumName: 'app_mode', default: 'http' })
  mode: AppMode;

  /** Port the app listens on inside its container. */
  @Column({ name: 'app_port', type: 'int', default: 8080 })
  appPort: number;

  /** OpenSSH public keys that may log in to the app's SSH endpoint. */
  @Column({ name: 'ssh_keys', type: 'text', array: true, default: () => "'{}'" })
  sshKeys: string[];

  /** argon2id hash of the SSH password; null when password login is off. */
  @Column({ name: 'ssh_password_hash', type: 'text', nullable: true })
  sshPasswordHash: string | null;

  /** Desired: containers exist (start) or not (stop). */
  @Column({ type: 'boolean', default: true })
  enabled: boolean;

  /** Desired: everything of the app removed, then the row itself. */
  @Column({ type: 'boolean', default: false })
  deleting: boolean;

  /** Host port the app's port is published on; never shared. */
  @Index('apps_host_port_key', { unique: true })
  @Column({ name: 'host_port', type: 'int' })
  hostPort: number;

  /** The node the app is placed on when created (null for apps from before nodes were recorded, until the worker places them); its container and /srv live there. */
  @Index('apps_node_idx')
  @Column({ type: 'text', nullable: true })
  node: string | null;

  /** The node holding its /srv: unlike `node` while a move copies it there (null: where `node` says). */
  @Column({ name: 'data_node', type: 'text', nullable: true })
  dataNode: string | null;

  /** Port of the app's SSH endpoint on the gateway; never shared. */
  @Index('apps_ssh_port_key', { unique: true })
  @Column({ name: 'ssh_port', type: 'int' })
  sshPort: number;

  /** Bumped by rebuild; part of the container's spec, so a new value replaces the container. */
  @Column({ name: 'rebuild_generation', type: 'int', default: 0 })
  rebuildGeneration: number;

  /** Bumped by restart (desired) ... */
  @Column({ name: 'restart_generation', type: 'int', default: 0 })
  restartGeneration: number;

  /** ... and recorded by the worker once done, so a retried job never restarts twice. */
  @Column({ name: 'restarted_generation', type: 'int', default: 0 })
  restartedGeneration: number;

  /** The latest config version stored (0: none yet). */
  @Column({ name: 'config_version', type: 'int', default: 0 })
  configVersion: number;

  /** The config version the container must run at least; part of its spec, so a new value replaces it. */
  @Column({ name: 'config_target_version', type: 'int', default: 0 })
  configTargetVersion: number;

  /** The config version the container was made with, recorded by the worker. */
  @Column({ name: 'config_running_version', type: 'int', default: 0 })
  configRunningVersion: number;

  @Column({ type: 'enum', enum: APP_STATUSES, enumName: 'app_status', default: 'creating' })
  status: AppStatus;

  /** Why the status is what it is, for a person. */
  @Column({ name: 'status_message', type: 'text', default: '' })
  statusMessage: string;

  /** The latest operation on this app. */
  @Column({ name: 'operation_id', type: 'int', nullable: true })
  operationId: number | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @OneToMany(() => AppDomain, (d) => d.app)
  domains?: AppDomain[];
}
