import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Which node each app is placed on (a Swarm node's name; `local` on a single engine), and where its
 * /srv is now: the two differ while the app is being moved. Null until the worker first places it.
 * Indexed: placement sums the plans of each node's apps.
 */
export class AppNodes1795540000010 implements MigrationInterface {
  name = 'AppNodes1795540000010';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "apps" ADD "node" text`);
    await queryRunner.query(`ALTER TABLE "apps" ADD "data_node" text`);
    await queryRunner.query(`CREATE INDEX "apps_node_idx" ON "apps" ("node")`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "apps_node_idx"`);
    await queryRunner.query(`ALTER TABLE "apps" DROP COLUMN "data_node"`);
    await queryRunner.query(`ALTER TABLE "apps" DROP COLUMN "node"`);
  }
}
