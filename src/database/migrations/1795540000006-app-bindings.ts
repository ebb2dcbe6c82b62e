import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Storages bound to apps: each binding gives the app managed variables (`DATABASE_URL`, …).
 * The storage's password is kept sealed on the storage while an app is bound to it.
 */
export class AppBindings1795540000006 implements MigrationInterface {
  name = 'AppBindings1795540000006';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            CREATE TABLE "app_bindings" (
                "app_id" integer NOT NULL,
                "storage_id" integer NOT NULL,
                "prefix" text NOT NULL,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_app_bindings" PRIMARY KEY ("app_id", "storage_id")
            )
        `);
    await queryRunner.query(`CREATE UNIQUE INDEX "app_bindings_app_prefix_key" ON "app_bindings" ("app_id", "prefix")`);
    await queryRunner.query(`CREATE INDEX "app_bindings_storage_id_idx" ON "app_bindings" ("storage_id")`);
    await queryRunner.query(`
            ALTER TABLE "app_bindings" ADD CONSTRAINT "app_bindings_app_id_fkey"
            FOREIGN KEY ("app_id") REFERENCES "apps"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
    await queryRunner.query(`
            ALTER TABLE "app_bindings" ADD CONSTRAINT "app_bindings_storage_id_fkey"
            FOREIGN KEY ("storage_id") REFERENCES "storages"("id") ON DELETE RESTRICT ON UPDATE NO ACTION
        `);
    await queryRunner.query(`ALTER TABLE "storages" ADD "sealed_password" text`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "storages" DROP COLUMN "sealed_password"`);
    await queryRunner.query(`DROP TABLE "app_bindings"`);
  }
}
