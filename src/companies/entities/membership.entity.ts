import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { Account } from '../../auth/entities/account.entity.js';
import { Company } from './company.entity.js';

/**
 * Ordered weakest to strongest: a role may do everything the roles before it may. A viewer reads
 * everything and changes nothing; a developer also manages apps (and their domains and SSH
 * keys); an admin also storages, members and invitations; an owner also renames and deletes the
 * company and hands over ownership.
 */
export const COMPANY_ROLES = ['viewer', 'developer', 'admin', 'owner'] as const;
export type CompanyRole = (typeof COMPANY_ROLES)[number];

@Entity('memberships')
export class Membership {
  @PrimaryColumn({ name: 'company_id', type: 'int', primaryKeyConstraintName: 'memberships_pkey' })
  companyId: number;

  @PrimaryColumn({ name: 'account_id', type: 'int', primaryKeyConstraintName: 'memberships_pkey' })
  @Index('memberships_account_id_idx')
  accountId: number;

  @ManyToOne(() => Company, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'company_id', foreignKeyConstraintName: 'memberships_company_id_fkey' })
  company?: Company;

  @ManyToOne(() => Account, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'account_id', foreignKeyConstraintName: 'memberships_account_id_fkey' })
  account?: Account;

  @Column({ type: 'enum', enum: COMPANY_ROLES, enumName: 'company_role' })
  role: CompanyRole;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
