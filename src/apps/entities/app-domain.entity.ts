import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { Company } from '../../companies/entities/company.entity.js';
import type { App } from './app.entity.js';

/**
 * A host name an app answers to. The primary key makes a domain belong to at
 * most one app on the whole platform, whatever the company.
 */
@Entity('app_domains')
@Index('app_domains_app_id_idx', ['appId'])
export class AppDomain {
  /** Lower case, internationalised names in punycode; `*.` leads a wildcard. */
  @PrimaryColumn({ type: 'text', primaryKeyConstraintName: 'app_domains_pkey' })
  domain: string;

  @Column({ name: 'app_id', type: 'int' })
  appId: number;

  @ManyToOne('App', 'domains', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'app_id', foreignKeyConstraintName: 'app_domains_app_id_fkey' })
  app?: App;

  @Column({ name: 'company_id', type: 'int' })
  companyId: number;

  @ManyToOne(() => Company, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'company_id', foreignKeyConstraintName: 'app_domains_company_id_fkey' })
  company?: Company;

  /** Order in the app's list, as the client gave it. */
  @Column({ type: 'int' })
  position: number;

  /** Assigned by Berth because the app had no domains of its own. */
  @Column({ name: 'is_default', type: 'boolean', default: false })
  isDefault: boolean;
}
