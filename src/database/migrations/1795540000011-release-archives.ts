import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Release archives in the database, in chunks of up to 1 MiB, instead of files on the host that
 * took the upload: the worker that deploys a release, or the API that checks a rollback, may run on
 * another machine (docs/multi-node.md), and every role already shares PostgreSQL. An archive is
 * readable once `complete`; chunks are gzip already, so PostgreSQL is told not to compress them again.
 */
export class ReleaseArchives1795540000011 implements MigrationInterface {
  name = 'ReleaseArchives1795540000011';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            CREATE TABLE "release_archives" (
                "app_id" integer NOT NULL,
                "name" text NOT NULL,
                "size" bigint NOT NULL DEFAULT 0,
                "chunks" integer NOT NULL DEFAULT 0,
                "complete" boolean NOT NULL DEFAULT false,
                "manifest" text,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "release_archives_pkey" PRIMARY KEY ("app_id", "name"),
                CONSTRAINT "release_archives_app_id_fkey" FOREIGN KEY ("app_id") REFERENCES "apps"("id") ON DELETE CASCADE
            )`);
    await queryRunner.query(`
            CREATE TABLE "release_archive_chunks" (
                "app_id" integer NOT NULL,
                "name" text NOT NULL,
                "seq" integer NOT NULL,
                "data" bytea NOT NULL,
                CONSTRAINT "release_archive_chunks_pkey" PRIMARY KEY ("app_id", "name", "seq"),
                CONSTRAINT "release_archive_chunks_archive_fkey" FOREIGN KEY ("app_id", "name") REFERENCES "release_archives"("app_id", "name") ON DELETE CASCADE
            )`);
    await queryRunner.query(`ALTER TABLE "release_archive_chunks" ALTER COLUMN "data" SET STORAGE EXTERNAL`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "release_archive_chunks"`);
    await queryRunner.query(`DROP TABLE "release_archives"`);
  }
}
