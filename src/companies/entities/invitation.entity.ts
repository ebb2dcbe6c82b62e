import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { Account } from '../../auth/entities/account.entity.js';
import { Company } from './company.entity.js';
import { COMPANY_ROLES, CompanyRole } from './membership.entity.js';

/**
 * An invitation to join a company with a role. Its token is shown once, to the inviter, who
 * passes it on (nothing is mailed); only its hash is kept. The signed-in account whose email
 * matches accepts it before it expires.
 */
@Entity('invitations')
export class Invitation {
  @PrimaryGeneratedColumn({ primaryKeyConstraintName: 'PK_invitations_id' })
  id: number;

  @Index('invitations_company_id_idx')
  @Column({ name: 'company_id', type: 'int' })
  companyId: number;

  @ManyToOne(() => Company, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'company_id', foreignKeyConstraintName: 'invitations_company_id_fkey' })
  company?: Company;

  /** Lower case, as accounts' emails are kept. */
  @Column({ type: 'text' })
  email: string;

  @Column({ type: 'enum', enum: COMPANY_ROLES, enumName: 'company_role' })
  role: CompanyRole;

  /** SHA-256 of the token, hex. */
  @Index('invitations_token_hash_key', { unique: true })
  @Column({ name: 'token_hash', type: 'char', length: 64 })
  tokenHash: string;

  @Column({ name: 'invited_by', type: 'int', nullable: true })
  invitedBy: number | null;

  @ManyToOne(() => Account, { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'invited_by', foreignKeyConstraintName: 'invitations_invited_by_fkey' })
  inviter?: Account;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;

  @Column({ name: 'accepted_at', type: 'timestamptz', nullable: true })
  acceptedAt: Date | null;
}
