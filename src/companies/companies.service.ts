import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { BerthConfig } from '../config/config.js';
import { CONFIG } from '../config/config.module.js';
import { assertCompanyQuota } from './account-quotas.js';
import { PreparedStatement, queryPrepared } from '../database/pg-pool.js';
import { CompanyDto } from './dto/company.dto.js';
import { Company } from './entities/company.entity.js';
import { CompanyRole, Membership } from './entities/membership.entity.js';
import { MembershipsService } from './memberships.service.js';

const LIST_COMPANIES: PreparedStatement = {
  name: 'list-companies',
  text: `SELECT c.id, c.name, m.role FROM memberships m JOIN companies c ON c.id = m.company_id
        WHERE m.account_id = $1 ORDER BY c.id`,
};

@Injectable()
export class CompaniesService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(CONFIG) private readonly config: BerthConfig,
    private readonly memberships: MembershipsService,
  ) {}

  async listFor(accountId: number): Promise<CompanyDto[]> {
    const { rows } = await queryPrepared<CompanyDto>(this.db, LIST_COMPANIES, [accountId]);
    return rows;
  }

  /** Creates a company with `accountId` as its owner, within COMPANIES_PER_ACCOUNT; pass a manager to join a larger transaction. */
  async create(accountId: number, name: string, manager?: EntityManager): Promise<CompanyDto> {
    const run = async (tx: EntityManager) => {
      await assertCompanyQuota(tx, accountId, this.config.companiesPerAccount);
      const company = await tx.save(tx.create(Company, { name }));
      await tx.insert(Membership, { companyId: company.id, accountId, role: 'owner' satisfies CompanyRole });
      return company;
    };
    const company = manager ? await run(manager) : await this.db.transaction(run);
    this.memberships.remember(accountId, company.id, 'owner');
    return { id: company.id, name: company.name, role: 'owner' };
  }
}
