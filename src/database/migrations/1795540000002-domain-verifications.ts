import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Domains a company proved control of by DNS. Custom domains route only once verified: existing
 * apps keep answering at their default domain until their company verifies its own domains.
 */
export class DomainVerifications1795540000002 implements MigrationInterface {
  name = 'DomainVerifications1795540000002';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            CREATE TABLE "domain_verifications" (
                "id" SERIAL NOT NULL,
                "company_id" integer NOT NULL,
                "domain" text NOT NULL,
                "token" text NOT NULL,
                "verified_at" TIMESTAMP WITH TIME ZONE,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_domain_verifications_id" PRIMARY KEY ("id")
            )
        `);
    await queryRunner.query(`CREATE UNIQUE INDEX "domain_verifications_company_domain_key" ON "domain_verifications" ("company_id", "domain")`);
    await queryRunner.query(`CREATE UNIQUE INDEX "domain_verifications_verified_domain_key" ON "domain_verifications" ("domain") WHERE verified_at IS NOT NULL`);
    await queryRunner.query(`
            ALTER TABLE "domain_verifications"
            ADD CONSTRAINT "domain_verifications_company_id_fkey" FOREIGN KEY ("company_id") REFERENCES "companies"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "domain_verifications"`);
  }
}
