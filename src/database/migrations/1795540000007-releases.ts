import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Releases: each version of an app's files, kept as an archive outside its /srv. Config versions
 * gain the values they stood for (secrets sealed), so a rollback can bring a release's config back.
 */
export class Releases1795540000007 implements MigrationInterface {
  name = 'Releases1795540000007';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            CREATE TABLE "releases" (
                "id" SERIAL NOT NULL,
                "app_id" integer NOT NULL,
                "version" integer NOT NULL,
                "status" text NOT NULL,
                "source" text NOT NULL,
                "rollback_of" integer,
                "archive" text,
                "archive_size" bigint NOT NULL DEFAULT 0,
                "size" bigint NOT NULL DEFAULT 0,
                "config_version" integer,
                "operation_id" integer,
                "account_id" integer,
                "log" text NOT NULL DEFAULT '',
                "message" text,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "activated_at" TIMESTAMP WITH TIME ZONE,
                "finished_at" TIMESTAMP WITH TIME ZONE,
                CONSTRAINT "releases_status_check" CHECK ("status" IN ('deploying', 'active', 'superseded', 'failed')),
                CONSTRAINT "releases_source_check" CHECK ("source" IN ('archive', 'srv', 'rollback')),
                CONSTRAINT "PK_releases" PRIMARY KEY ("id")
            )
        `);
    await queryRunner.query(`CREATE UNIQUE INDEX "releases_app_version_key" ON "releases" ("app_id", "version")`);
    await queryRunner.query(`CREATE UNIQUE INDEX "releases_one_deploying" ON "releases" ("app_id") WHERE "status" = 'deploying'`);
    await queryRunner.query(`CREATE UNIQUE INDEX "releases_one_active" ON "releases" ("app_id") WHERE "status" = 'active'`);
    await queryRunner.query(`
            ALTER TABLE "releases" ADD CONSTRAINT "releases_app_id_fkey"
            FOREIGN KEY ("app_id") REFERENCES "apps"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
    await queryRunner.query(`ALTER TABLE "app_config_versions" ADD "snapshot" jsonb`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "app_config_versions" DROP COLUMN "snapshot"`);
    await queryRunner.query(`DROP TABLE "releases"`);
  }
}
