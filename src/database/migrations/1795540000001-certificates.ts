import { MigrationInterface, QueryRunner } from 'typeorm';

/** The certificate state of every HTTPS name at the edge: HTTP redirects to HTTPS only once one is issued. */
export class Certificates1795540000001 implements MigrationInterface {
  name = 'Certificates1795540000001';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TYPE "public"."certificate_status" AS ENUM('pending', 'issued', 'failed')`);
    await queryRunner.query(`
            CREATE TABLE "certificates" (
                "domain" text NOT NULL,
                "status" "public"."certificate_status" NOT NULL DEFAULT 'pending',
                "expires_at" TIMESTAMP WITH TIME ZONE,
                "error" text NOT NULL DEFAULT '',
                "retry_at" TIMESTAMP WITH TIME ZONE,
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_certificates_domain" PRIMARY KEY ("domain")
            )
        `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "certificates"`);
    await queryRunner.query(`DROP TYPE "public"."certificate_status"`);
  }
}
