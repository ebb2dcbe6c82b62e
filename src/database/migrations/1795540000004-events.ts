import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Audit events: who changed what, from where and when, for a company's admins and for each
 * account about itself. Only ever inserted; a company's events go with the company.
 */
export class Events1795540000004 implements MigrationInterface {
  name = 'Events1795540000004';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            CREATE TABLE "events" (
                "id" SERIAL NOT NULL,
                "company_id" integer,
                "account_id" integer,
                "token_id" integer,
                "ip" text,
                "action" text NOT NULL,
                "target_type" text,
                "target_id" text,
                "data" jsonb NOT NULL,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_events_id" PRIMARY KEY ("id")
            )
        `);
    // A btree serves "newest first" by scanning backwards: no DESC needed.
    await queryRunner.query(`CREATE INDEX "events_company_id_idx" ON "events" ("company_id", "id")`);
    await queryRunner.query(`CREATE INDEX "events_company_action_idx" ON "events" ("company_id", "action", "id")`);
    await queryRunner.query(`CREATE INDEX "events_company_target_idx" ON "events" ("company_id", "target_type", "target_id", "id")`);
    await queryRunner.query(`CREATE INDEX "events_account_id_idx" ON "events" ("account_id", "id") WHERE company_id IS NULL`);
    await queryRunner.query(`
            ALTER TABLE "events" ADD CONSTRAINT "events_company_id_fkey"
            FOREIGN KEY ("company_id") REFERENCES "companies"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "events"`);
  }
}
