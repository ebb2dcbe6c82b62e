import { MigrationInterface, QueryRunner } from "typeorm";

export class Foundation1795355446755 implements MigrationInterface {
    name = 'Foundation1795355446755'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            CREATE TABLE "accounts" (
                "id" SERIAL NOT NULL,
                "email" text NOT NULL,
                "name" text NOT NULL,
                "password_hash" text NOT NULL,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_5a7a02c20412299d198e097a8fe" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE UNIQUE INDEX "accounts_email_key" ON "accounts" ("email")
        `);
        await queryRunner.query(`
            CREATE TABLE "api_tokens" (
                "id" SERIAL NOT NULL,
                "account_id" integer NOT NULL,
                "name" text NOT NULL,
                "token_hash" character(64) NOT NULL,
                "hint" text NOT NULL,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "last_used_at" TIMESTAMP WITH TIME ZONE,
                "expires_at" TIMESTAMP WITH TIME ZONE,
                "revoked_at" TIMESTAMP WITH TIME ZONE,
                CONSTRAINT "PK_c587455266b5fa8dace7194caac" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "api_tokens_account_id_idx" ON "api_tokens" ("account_id")
        `);
        await queryRunner.query(`
            CREATE UNIQUE INDEX "api_tokens_token_hash_key" ON "api_tokens" ("token_hash")
        `);
        await queryRunner.query(`
            CREATE TABLE "companies" (
                "id" SERIAL NOT NULL,
                "name" text NOT NULL,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_d4bc3e82a314fa9e29f652c2c22" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE TYPE "public"."company_role" AS ENUM('member', 'admin', 'owner')
        `);
        await queryRunner.query(`
            CREATE TABLE "memberships" (
                "company_id" integer NOT NULL,
                "account_id" integer NOT NULL,
                "role" "public"."company_role" NOT NULL,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "memberships_pkey" PRIMARY KEY ("company_id", "account_id")
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "memberships_account_id_idx" ON "memberships" ("account_id")
        `);
        await queryRunner.query(`
            CREATE TABLE "plans" (
                "id" SERIAL NOT NULL,
                "name" text NOT NULL,
                "ram" integer NOT NULL,
                "disk" integer NOT NULL,
                "cpu_quota" integer NOT NULL,
                "price" numeric(10, 2) NOT NULL,
                CONSTRAINT "PK_3720521a81c7c24fe9b7202ba61" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE UNIQUE INDEX "plans_name_key" ON "plans" ("name")
        `);
        await queryRunner.query(`
            CREATE TABLE "runtimes" (
                "id" SERIAL NOT NULL,
                "image" text NOT NULL,
                "name" text NOT NULL,
                "default" boolean NOT NULL DEFAULT false,
                "show" boolean NOT NULL DEFAULT true,
                "techs" text array NOT NULL DEFAULT '{}',
                CONSTRAINT "PK_74c69d44ccf93e71ef118ea8026" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE UNIQUE INDEX "runtimes_image_key" ON "runtimes" ("image")
        `);
        await queryRunner.query(`
            CREATE UNIQUE INDEX "runtimes_single_default" ON "runtimes" ("default")
            WHERE "default"
        `);
        await queryRunner.query(`
            ALTER TABLE "api_tokens"
            ADD CONSTRAINT "api_tokens_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "accounts"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
        await queryRunner.query(`
            ALTER TABLE "memberships"
            ADD CONSTRAINT "memberships_company_id_fkey" FOREIGN KEY ("company_id") REFERENCES "companies"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
        await queryRunner.query(`
            ALTER TABLE "memberships"
            ADD CONSTRAINT "memberships_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "accounts"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            ALTER TABLE "memberships" DROP CONSTRAINT "memberships_account_id_fkey"
        `);
        await queryRunner.query(`
            ALTER TABLE "memberships" DROP CONSTRAINT "memberships_company_id_fkey"
        `);
        await queryRunner.query(`
            ALTER TABLE "api_tokens" DROP CONSTRAINT "api_tokens_account_id_fkey"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."runtimes_single_default"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."runtimes_image_key"
        `);
        await queryRunner.query(`
            DROP TABLE "runtimes"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."plans_name_key"
        `);
        await queryRunner.query(`
            DROP TABLE "plans"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."memberships_account_id_idx"
        `);
        await queryRunner.query(`
            DROP TABLE "memberships"
        `);
        await queryRunner.query(`
            DROP TYPE "public"."company_role"
        `);
        await queryRunner.query(`
            DROP TABLE "companies"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."api_tokens_token_hash_key"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."api_tokens_account_id_idx"
        `);
        await queryRunner.query(`
            DROP TABLE "api_tokens"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."accounts_email_key"
        `);
        await queryRunner.query(`
            DROP TABLE "accounts"
        `);
    }

}
