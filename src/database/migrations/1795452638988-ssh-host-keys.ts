import { MigrationInterface, QueryRunner } from "typeorm";

export class SshHostKeys1795452638988 implements MigrationInterface {
    name = 'SshHostKeys1795452638988'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            CREATE TABLE "ssh_host_keys" (
                "id" SERIAL NOT NULL,
                "algorithm" text NOT NULL,
                "private_key" text NOT NULL,
                "public_key" text NOT NULL,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_e72725d5ea1fad2164259a24959" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE UNIQUE INDEX "ssh_host_keys_algorithm_key" ON "ssh_host_keys" ("algorithm")
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            DROP INDEX "public"."ssh_host_keys_algorithm_key"
        `);
        await queryRunner.query(`
            DROP TABLE "ssh_host_keys"
        `);
    }

}
