import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What Rosti's client decodes and sends: plan prices are whole numbers (it reads them into
 * unsigned integers), and app names may hold upper-case letters, `_` and `.`, unique in a
 * company whatever their case (so "Shop" and "shop" are never two apps of one company). An
 * app's changes queue up as operations of their own instead of being refused while one runs
 * (its `stop` then `start`); a storage still takes one change at a time.
 */
export class RostiClients1795540000000 implements MigrationInterface {
  name = 'RostiClients1795540000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "plans" ALTER COLUMN "price" TYPE integer USING round("price")`);
    await queryRunner.query(`DROP INDEX "public"."apps_company_name_key"`);
    await queryRunner.query(`CREATE UNIQUE INDEX "apps_company_name_key" ON "apps" ("company_id", lower("name"))`);
    await queryRunner.query(`DROP INDEX "public"."operations_one_active_per_target"`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX "operations_one_active_per_storage" ON "operations" ("target_type", "target_id") WHERE target_type = 'storage' AND status IN ('pending', 'running')`,
    );
    await queryRunner.query(`CREATE INDEX "operations_active_idx" ON "operations" ("target_type", "target_id") WHERE status IN ('pending', 'running')`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."operations_active_idx"`);
    await queryRunner.query(`DROP INDEX "public"."operations_one_active_per_storage"`);
    await queryRunner.query(`CREATE UNIQUE INDEX "operations_one_active_per_target" ON "operations" ("target_type", "target_id") WHERE status IN ('pending', 'running')`);
    await queryRunner.query(`DROP INDEX "public"."apps_company_name_key"`);
    await queryRunner.query(`CREATE UNIQUE INDEX "apps_company_name_key" ON "apps" ("company_id", "name")`);
    await queryRunner.query(`ALTER TABLE "plans" ALTER COLUMN "price" TYPE numeric(10,2)`);
  }
}
