import { MigrationInterface, QueryRunner } from "typeorm";

export class Apps1795451546290 implements MigrationInterface {
    name = 'Apps1795451546290'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            CREATE TYPE "public"."app_mode" AS ENUM('http', 'https+le')
        `);
        await queryRunner.query(`
            CREATE TYPE "public"."app_status" AS ENUM(
                'creating',
                'starting',
                'stopping',
                'restarting',
                'rebuilding',
                'updating',
                'running',
                'stopped',
                'error',
                'deleting'
            )
        `);
        await queryRunner.query(`
            CREATE TABLE "apps" (
                "id" SERIAL NOT NULL,
                "company_id" integer NOT NULL,
                "name" text NOT NULL,
                "image" text NOT NULL,
                "plan_id" integer NOT NULL,
                "mode" "public"."app_mode" NOT NULL DEFAULT 'http',
                "app_port" integer NOT NULL DEFAULT '8080',
                "ssh_keys" text array NOT NULL DEFAULT '{}',
                "ssh_password_hash" text,
                "enabled" boolean NOT NULL DEFAULT true,
                "deleting" boolean NOT NULL DEFAULT false,
                "host_port" integer NOT NULL,
                "ssh_port" integer NOT NULL,
                "rebuild_generation" integer NOT NULL DEFAULT '0',
                "restart_generation" integer NOT NULL DEFAULT '0',
                "restarted_generation" integer NOT NULL DEFAULT '0',
                "status" "public"."app_status" NOT NULL DEFAULT 'creating',
                "status_message" text NOT NULL DEFAULT '',
                "operation_id" integer,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_c5121fda0f8268f1f7f84134e19" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE UNIQUE INDEX "apps_host_port_key" ON "apps" ("host_port")
        `);
        await queryRunner.query(`
            CREATE UNIQUE INDEX "apps_ssh_port_key" ON "apps" ("ssh_port")
        `);
        await queryRunner.query(`
            CREATE UNIQUE INDEX "apps_company_name_key" ON "apps" ("company_id", "name")
        `);
        await queryRunner.query(`
            CREATE TABLE "app_domains" (
                "domain" text NOT NULL,
                "app_id" integer NOT NULL,
                "company_id" integer NOT NULL,
                "position" integer NOT NULL,
                "is_default" boolean NOT NULL DEFAULT false,
                CONSTRAINT "app_domains_pkey" PRIMARY KEY ("domain")
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "app_domains_app_id_idx" ON "app_domains" ("app_id")
        `);
        await queryRunner.query(`
            ALTER TABLE "apps"
            ADD CONSTRAINT "apps_company_id_fkey" FOREIGN KEY ("company_id") REFERENCES "companies"("id") ON DELETE RESTRICT ON UPDATE NO ACTION
        `);
        await queryRunner.query(`
            ALTER TABLE "apps"
            ADD CONSTRAINT "apps_image_fkey" FOREIGN KEY ("image") REFERENCES "runtimes"("image") ON DELETE RESTRICT ON UPDATE CASCADE
        `);
        await queryRunner.query(`
            ALTER TABLE "apps"
            ADD CONSTRAINT "apps_plan_id_fkey" FOREIGN KEY ("plan_id") REFERENCES "plans"("id") ON DELETE RESTRICT ON UPDATE NO ACTION
        `);
        await queryRunner.query(`
            ALTER TABLE "app_domains"
            ADD CONSTRAINT "app_domains_app_id_fkey" FOREIGN KEY ("app_id") REFERENCES "apps"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
        await queryRunner.query(`
            ALTER TABLE "app_domains"
            ADD CONSTRAINT "app_domains_company_id_fkey" FOREIGN KEY ("company_id") REFERENCES "companies"("id") ON DELETE RESTRICT ON UPDATE NO ACTION
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            ALTER TABLE "app_domains" DROP CONSTRAINT "app_domains_company_id_fkey"
        `);
        await queryRunner.query(`
            ALTER TABLE "app_domains" DROP CONSTRAINT "app_domains_app_id_fkey"
        `);
        await queryRunner.query(`
            ALTER TABLE "apps" DROP CONSTRAINT "apps_plan_id_fkey"
        `);
        await queryRunner.query(`
            ALTER TABLE "apps" DROP CONSTRAINT "apps_image_fkey"
        `);
        await queryRunner.query(`
            ALTER TABLE "apps" DROP CONSTRAINT "apps_company_id_fkey"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."app_domains_app_id_idx"
        `);
        await queryRunner.query(`
            DROP TABLE "app_domains"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."apps_company_name_key"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."apps_ssh_port_key"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."apps_host_port_key"
        `);
        await queryRunner.query(`
            DROP TABLE "apps"
        `);
        await queryRunner.query(`
            DROP TYPE "public"."app_status"
        `);
        await queryRunner.query(`
            DROP TYPE "public"."app_mode"
        `);
    }

}
