import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { Company } from '../companies/entities/company.entity.js';
import type { EventData } from './event-actions.js';

/**
 * One change, as recorded for people to audit: who (account and token), from where (client
 * address), what, to which target, and when. Rows are only ever inserted: no code path updates
 * or deletes one (a company's go with the company). The account and token ids are plain
 * numbers, like an operation's target: an event outlives what it names, and inserting one
 * takes no lock on accounts, which quota checks lock for update.
 */
@Entity('events')
// The lists: a company's newest first, by action, by target; an account's own (no company).
@Index('events_company_id_idx', ['companyId', 'id'])
@Index('events_company_action_idx', ['companyId', 'action', 'id'])
@Index('events_company_target_idx', ['companyId', 'targetType', 'targetId', 'id'])
@Index('events_account_id_idx', ['accountId', 'id'], { where: 'company_id IS NULL' })
export class AuditEvent {
  @PrimaryGeneratedColumn({ primaryKeyConstraintName: 'PK_events_id' })
  id: number;

  /** null: an event of an account itself (logins, tokens, account changes, a company's deletion). */
  @Column({ name: 'company_id', type: 'int', nullable: true })
  companyId: number | null;

  @ManyToOne(() => Company, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'company_id', foreignKeyConstraintName: 'events_company_id_fkey' })
  company?: Company;

  /** Who acted; for a failed login, the account tried (null when the email has none). */
  @Column({ name: 'account_id', type: 'int', nullable: true })
  accountId: number | null;

  /** The token the request came with; null for login and registration, which come with none. */
  @Column({ name: 'token_id', type: 'int', nullable: true })
  tokenId: number | null;

  /** The client's address as Fastify sees it (X-Forwarded-For only with TRUST_PROXY); null for operator commands. */
  @Column({ type: 'text', nullable: true })
  ip: string | null;

  @Column({ type: 'text' })
  action: string;

  @Column({ name: 'target_type', type: 'text', nullable: true })
  targetType: string | null;

  @Column({ name: 'target_id', type: 'text', nullable: true })
  targetId: string | null;

  @Column({ type: 'jsonb' })
  data: EventData;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
