import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { Company } from '../companies/entities/company.entity.js';

/**
 * A company's proof of control of a domain: a DNS TXT record `_berth-challenge.<domain>` holding
 * `token`. Until it is verified, the company's apps may list the domain (and its subdomains) but
 * the edge does not route it, and no certificate is requested for it. A verified domain covers
 * its subdomains, and only one company can have it verified.
 */
@Entity('domain_verifications')
@Index('domain_verifications_company_domain_key', ['companyId', 'domain'], { unique: true })
@Index('domain_verifications_verified_domain_key', ['domain'], { unique: true, where: 'verified_at IS NOT NULL' })
export class DomainVerification {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ name: 'company_id', type: 'int' })
  companyId: number;

  @ManyToOne(() => Company, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'company_id', foreignKeyConstraintName: 'domain_verifications_company_id_fkey' })
  company?: Company;

  /** Lower case, punycode, no wildcard. */
  @Column({ type: 'text' })
  domain: string;

  /** What the TXT record must hold (not a secret: it only says which company asked). */
  @Column({ type: 'text' })
  token: string;

  @Column({ name: 'verified_at', type: 'timestamptz', nullable: true })
  verifiedAt: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
