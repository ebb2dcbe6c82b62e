import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Apps' metrics: the worker's readings at full resolution (a day by default), and their
 * downsampled buckets (30 days). Both go with their app. Each has an index on time alone, for
 * deleting what is past retention across every app in one range scan.
 */
export class AppMetrics1795540000009 implements MigrationInterface {
  name = 'AppMetrics1795540000009';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            CREATE TABLE "app_metric_samples" (
                "app_id" integer NOT NULL,
                "at" TIMESTAMP WITH TIME ZONE NOT NULL,
                "cpu_percent" real,
                "memory_used_bytes" bigint NOT NULL,
                "memory_limit_bytes" bigint NOT NULL,
                "net_rx_bytes_per_second" real,
                "net_tx_bytes_per_second" real,
                "srv_used_bytes" bigint,
                "restarts" integer,
                CONSTRAINT "PK_app_metric_samples" PRIMARY KEY ("app_id", "at")
            )
        `);
    await queryRunner.query(`CREATE INDEX "app_metric_samples_at_idx" ON "app_metric_samples" ("at")`);
    await queryRunner.query(`
            ALTER TABLE "app_metric_samples" ADD CONSTRAINT "app_metric_samples_app_id_fkey"
            FOREIGN KEY ("app_id") REFERENCES "apps"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
    await queryRunner.query(`
            CREATE TABLE "app_metric_buckets" (
                "app_id" integer NOT NULL,
                "bucket_start" TIMESTAMP WITH TIME ZONE NOT NULL,
                "samples" integer NOT NULL DEFAULT 0,
                "cpu_sum" double precision NOT NULL DEFAULT 0,
                "cpu_count" integer NOT NULL DEFAULT 0,
                "cpu_max" real,
                "memory_used_sum" double precision NOT NULL DEFAULT 0,
                "memory_used_max" bigint NOT NULL DEFAULT 0,
                "memory_limit_bytes" bigint NOT NULL DEFAULT 0,
                "net_rx_sum" double precision NOT NULL DEFAULT 0,
                "net_tx_sum" double precision NOT NULL DEFAULT 0,
                "net_count" integer NOT NULL DEFAULT 0,
                "srv_used_max" bigint,
                "restarts" integer NOT NULL DEFAULT 0,
                CONSTRAINT "PK_app_metric_buckets" PRIMARY KEY ("app_id", "bucket_start")
            )
        `);
    await queryRunner.query(`CREATE INDEX "app_metric_buckets_start_idx" ON "app_metric_buckets" ("bucket_start")`);
    await queryRunner.query(`
            ALTER TABLE "app_metric_buckets" ADD CONSTRAINT "app_metric_buckets_app_id_fkey"
            FOREIGN KEY ("app_id") REFERENCES "apps"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "app_metric_buckets"`);
    await queryRunner.query(`DROP TABLE "app_metric_samples"`);
  }
}
