import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Teams: four roles (viewer, developer, admin, owner; members so far become developers),
 * invitations, and tokens scoped to some companies and to reading only.
 */
export class Teams1795540000003 implements MigrationInterface {
  name = 'Teams1795540000003';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TYPE "public"."company_role" RENAME TO "company_role_old"`);
    await queryRunner.query(`CREATE TYPE "public"."company_role" AS ENUM('viewer', 'developer', 'admin', 'owner')`);
    await queryRunner.query(`
            ALTER TABLE "memberships" ALTER COLUMN "role" TYPE "public"."company_role"
            USING (CASE "role"::text WHEN 'member' THEN 'developer' ELSE "role"::text END)::"public"."company_role"
        `);
    await queryRunner.query(`DROP TYPE "public"."company_role_old"`);

    await queryRunner.query(`CREATE TYPE "public"."token_access" AS ENUM('read', 'write')`);
    await queryRunner.query(`ALTER TABLE "api_tokens" ADD "companies" integer array`);
    await queryRunner.query(`ALTER TABLE "api_tokens" ADD "access" "public"."token_access" NOT NULL DEFAULT 'write'`);

    await queryRunner.query(`
            CREATE TABLE "invitations" (
                "id" SERIAL NOT NULL,
                "company_id" integer NOT NULL,
                "email" text NOT NULL,
                "role" "public"."company_role" NOT NULL,
                "token_hash" character(64) NOT NULL,
                "invited_by" integer,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL,
                "accepted_at" TIMESTAMP WITH TIME ZONE,
                CONSTRAINT "PK_invitations_id" PRIMARY KEY ("id")
            )
        `);
    await queryRunner.query(`CREATE UNIQUE INDEX "invitations_token_hash_key" ON "invitations" ("token_hash")`);
    await queryRunner.query(`CREATE INDEX "invitations_company_id_idx" ON "invitations" ("company_id")`);
    await queryRunner.query(`
            ALTER TABLE "invitations" ADD CONSTRAINT "invitations_company_id_fkey"
            FOREIGN KEY ("company_id") REFERENCES "companies"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
    await queryRunner.query(`
            ALTER TABLE "invitations" ADD CONSTRAINT "invitations_invited_by_fkey"
            FOREIGN KEY ("invited_by") REFERENCES "accounts"("id") ON DELETE SET NULL ON UPDATE NO ACTION
        `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "invitations"`);
    await queryRunner.query(`ALTER TABLE "api_tokens" DROP COLUMN "access"`);
    await queryRunner.query(`ALTER TABLE "api_tokens" DROP COLUMN "companies"`);
    await queryRunner.query(`DROP TYPE "public"."token_access"`);
    await queryRunner.query(`ALTER TYPE "public"."company_role" RENAME TO "company_role_new"`);
    await queryRunner.query(`CREATE TYPE "public"."company_role" AS ENUM('member', 'admin', 'owner')`);
    await queryRunner.query(`
            ALTER TABLE "memberships" ALTER COLUMN "role" TYPE "public"."company_role"
            USING (CASE "role"::text WHEN 'owner' THEN 'owner' WHEN 'admin' THEN 'admin' ELSE 'member' END)::"public"."company_role"
        `);
    await queryRunner.query(`DROP TYPE "public"."company_role_new"`);
  }
}
