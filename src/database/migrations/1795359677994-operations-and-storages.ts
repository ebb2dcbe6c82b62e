import { MigrationInterface, QueryRunner } from "typeorm";

export class OperationsAndStorages1795359677994 implements MigrationInterface {
    name = 'OperationsAndStorages1795359677994'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            CREATE TYPE "public"."operation_target_type" AS ENUM('app', 'storage')
        `);
        await queryRunner.query(`
            CREATE TYPE "public"."operation_status" AS ENUM('pending', 'running', 'success', 'error')
        `);
        await queryRunner.query(`
            CREATE TABLE "operations" (
                "id" SERIAL NOT NULL,
                "company_id" integer NOT NULL,
                "kind" text NOT NULL,
                "target_type" "public"."operation_target_type" NOT NULL,
                "target_id" integer NOT NULL,
                "status" "public"."operation_status" NOT NULL DEFAULT 'pending',
                "message" text NOT NULL DEFAULT '',
                "attempts" integer NOT NULL DEFAULT '0',
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "started_at" TIMESTAMP WITH TIME ZONE,
                "finished_at" TIMESTAMP WITH TIME ZONE,
                CONSTRAINT "PK_7b62d84d6f9912b975987165856" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE UNIQUE INDEX "operations_one_active_per_target" ON "operations" ("target_type", "target_id")
            WHERE status IN ('pending', 'running')
        `);
        await queryRunner.query(`
            CREATE INDEX "operations_company_target_idx" ON "operations" ("company_id", "target_type", "target_id")
        `);
        await queryRunner.query(`
            CREATE TYPE "public"."storage_type" AS ENUM('mariadb', 'pgsql')
        `);
        await queryRunner.query(`
            CREATE TYPE "public"."storage_status" AS ENUM(
                'creating',
                'ready',
                'updating',
                'deleting',
                'error'
            )
        `);
        await queryRunner.query(`
            CREATE TABLE "storages" (
                "id" SERIAL NOT NULL,
                "company_id" integer NOT NULL,
                "type" "public"."storage_type" NOT NULL,
                "name" text NOT NULL,
                "username" text NOT NULL,
                "note" text NOT NULL DEFAULT '',
                "status" "public"."storage_status" NOT NULL DEFAULT 'creating',
                "operation_id" integer,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_2f2d2fae6dc214f7f3ec52189ce" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "storages_company_id_idx" ON "storages" ("company_id")
        `);
        await queryRunner.query(`
            CREATE UNIQUE INDEX "storages_type_username_key" ON "storages" ("type", "username")
        `);
        await queryRunner.query(`
            CREATE UNIQUE INDEX "storages_type_name_key" ON "storages" ("type", "name")
        `);
        await queryRunner.query(`
            ALTER TABLE "operations"
            ADD CONSTRAINT "operations_company_id_fkey" FOREIGN KEY ("company_id") REFERENCES "companies"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
        await queryRunner.query(`
            ALTER TABLE "storages"
            ADD CONSTRAINT "storages_company_id_fkey" FOREIGN KEY ("company_id") REFERENCES "companies"("id") ON DELETE RESTRICT ON UPDATE NO ACTION
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            ALTER TABLE "storages" DROP CONSTRAINT "storages_company_id_fkey"
        `);
        await queryRunner.query(`
            ALTER TABLE "operations" DROP CONSTRAINT "operations_company_id_fkey"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."storages_type_name_key"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."storages_type_username_key"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."storages_company_id_idx"
        `);
        await queryRunner.query(`
            DROP TABLE "storages"
        `);
        await queryRunner.query(`
            DROP TYPE "public"."storage_status"
        `);
        await queryRunner.query(`
            DROP TYPE "public"."storage_type"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."operations_company_target_idx"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."operations_one_active_per_target"
        `);
        await queryRunner.query(`
            DROP TABLE "operations"
        `);
        await queryRunner.query(`
            DROP TYPE "public"."operation_status"
        `);
        await queryRunner.query(`
            DROP TYPE "public"."operation_target_type"
        `);
    }

}
