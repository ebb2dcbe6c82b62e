import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { Company } from '../companies/entities/company.entity.js';
import { STORAGE_TYPES, type StorageType } from './engines/storage-engine.js';

export const STORAGE_STATUSES = ['creating', 'ready', 'updating', 'deleting', 'error'] as const;
export type StorageStatus = (typeof STORAGE_STATUSES)[number];

/** A database and its user on a database server. Its password is here only sealed, and only while apps are bound to it. */
@Entity('storages')
@Index('storages_type_name_key', ['type', 'name'], { unique: true })
@Index('storages_type_username_key', ['type', 'username'], { unique: true })
export class Storage {
  @PrimaryGeneratedColumn()
  id: number;

  @Index('storages_company_id_idx')
  @Column({ name: 'company_id', type: 'int' })
  companyId: number;

  @ManyToOne(() => Company, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'company_id', foreignKeyConstraintName: 'storages_company_id_fkey' })
  company?: Company;

  @Column({ type: 'enum', enum: STORAGE_TYPES, enumName: 'storage_type' })
  type: StorageType;

  /** Database name on the server, generated. */
  @Column({ type: 'text' })
  name: string;

  /** User name on the server, generated. */
  @Column({ type: 'text' })
  username: string;

  @Column({ type: 'text', default: '' })
  note: string;

  @Column({ type: 'enum', enum: STORAGE_STATUSES, enumName: 'storage_status', default: 'creating' })
  status: StorageStatus;

  /** The password, sealed by SecretBox, while apps are bound to the storage (their `_PASSWORD`); null otherwise. */
  @Column({ name: 'sealed_password', type: 'text', nullable: true, select: false })
  sealedPassword?: string | null;

  /** The latest operation on this storage. */
  @Column({ name: 'operation_id', type: 'int', nullable: true })
  operationId: number | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
