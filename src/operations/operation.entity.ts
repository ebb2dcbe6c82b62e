import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { Company } from '../companies/entities/company.entity.js';

export const OPERATION_STATUSES = ['pending', 'running', 'success', 'error'] as const;
export type OperationStatus = (typeof OPERATION_STATUSES)[number];
export const ACTIVE_STATUSES: OperationStatus[] = ['pending', 'running'];

export const TARGET_TYPES = ['app', 'storage'] as const;
export type TargetType = (typeof TARGET_TYPES)[number];

/** One change to infrastructure, followed by clients until it succeeds or fails. */
@Entity('operations')
@Index('operations_company_target_idx', ['companyId', 'targetType', 'targetId'])
// At most one unfinished operation per storage: the database refuses a second one, so two
// changes can never interleave, however many API processes race. An app's changes queue up
// instead (Rosti's client sends `start` while its `stop` still runs): its one job carries them
// out oldest first, each converging the app to the latest desired state.
@Index('operations_one_active_per_storage', ['targetType', 'targetId'], { unique: true, where: `target_type = 'storage' AND status IN ('pending', 'running')` })
@Index('operations_active_idx', ['targetType', 'targetId'], { where: `status IN ('pending', 'running')` })
export class Operation {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ name: 'company_id', type: 'int' })
  companyId: number;

  @ManyToOne(() => Company, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'company_id', foreignKeyConstraintName: 'operations_company_id_fkey' })
  company?: Company;

  /** What is done, e.g. "storage.create". */
  @Column({ type: 'text' })
  kind: string;

  @Column({ name: 'target_type', type: 'enum', enum: TARGET_TYPES, enumName: 'operation_target_type' })
  targetType: TargetType;

  /** Id of the app or storage; kept after the target itself is deleted. */
  @Column({ name: 'target_id', type: 'int' })
  targetId: number;

  @Column({ type: 'enum', enum: OPERATION_STATUSES, enumName: 'operation_status', default: 'pending' })
  status: OperationStatus;

  /** For a person: what happened, or why it failed. */
  @Column({ type: 'text', default: '' })
  message: string;

  /** Tries so far (a failed try is retried with backoff). */
  @Column({ type: 'int', default: 0 })
  attempts: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'started_at', type: 'timestamptz', nullable: true })
  startedAt: Date | null;

  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true })
  finishedAt: Date | null;
}
