import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * An app's environment: its variables (a secret's value only encrypted), a history of
 * versions that names what changed and never a value, and on the app which version is
 * stored, which its container should run and which it runs.
 */
export class AppConfig1795540000005 implements MigrationInterface {
  name = 'AppConfig1795540000005';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            CREATE TABLE "app_config_vars" (
                "app_id" integer NOT NULL,
                "name" text NOT NULL,
                "value" text,
                "sealed" text,
                CONSTRAINT "PK_app_config_vars" PRIMARY KEY ("app_id", "name"),
                CONSTRAINT "app_config_vars_one_value" CHECK (("value" IS NULL) <> ("sealed" IS NULL))
            )
        `);
    await queryRunner.query(`
            CREATE TABLE "app_config_versions" (
                "app_id" integer NOT NULL,
                "version" integer NOT NULL,
                "changes" jsonb NOT NULL,
                "account_id" integer,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_app_config_versions" PRIMARY KEY ("app_id", "version")
            )
        `);
    for (const table of ['app_config_vars', 'app_config_versions']) {
      await queryRunner.query(`
            ALTER TABLE "${table}" ADD CONSTRAINT "${table}_app_id_fkey"
            FOREIGN KEY ("app_id") REFERENCES "apps"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
    }
    await queryRunner.query(`ALTER TABLE "apps" ADD "config_version" integer NOT NULL DEFAULT 0`);
    await queryRunner.query(`ALTER TABLE "apps" ADD "config_target_version" integer NOT NULL DEFAULT 0`);
    await queryRunner.query(`ALTER TABLE "apps" ADD "config_running_version" integer NOT NULL DEFAULT 0`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "apps" DROP COLUMN "config_running_version"`);
    await queryRunner.query(`ALTER TABLE "apps" DROP COLUMN "config_target_version"`);
    await queryRunner.query(`ALTER TABLE "apps" DROP COLUMN "config_version"`);
    await queryRunner.query(`DROP TABLE "app_config_versions"`);
    await queryRunner.query(`DROP TABLE "app_config_vars"`);
  }
}
