import { MigrationInterface, QueryRunner } from 'typeorm';

// Rosti's five plans. Prices are a starting point an operator edits in the table.
const PLANS = [
  ['Mini', 128, 1, 25, 2.0],
  ['Start+', 512, 10, 50, 6.0],
  ['Normal+', 2048, 25, 200, 18.0],
  ['Pro+', 4096, 50, 200, 36.0],
  ['Business+', 8192, 100, 400, 72.0],
] as const;

// The runtime images docker/runtimes/ builds; exactly one is the default for new apps.
const RUNTIMES = [
  ['berth/runtime:2026.11-1', 'Node.js 24 and Python 3 (2026.11)', true, true, ['node', 'python']],
  ['berth/runtime-python:2026.11-1', 'Python 3 (2026.11)', false, true, ['python']],
] as const;

export class SeedCatalogs1795355446756 implements MigrationInterface {
  name = 'SeedCatalogs1795355446756';

  public async up(queryRunner: QueryRunner): Promise<void> {
    for (const [name, ram, disk, cpu, price] of PLANS) {
      await queryRunner.query('INSERT INTO plans (name, ram, disk, cpu_quota, price) VALUES ($1, $2, $3, $4, $5)', [name, ram, disk, cpu, price]);
    }
    for (const [image, name, isDefault, show, techs] of RUNTIMES) {
      await queryRunner.query('INSERT INTO runtimes (image, name, "default", show, techs) VALUES ($1, $2, $3, $4, $5)', [
        image,
        name,
        isDefault,
        show,
        techs,
      ]);
    }
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DELETE FROM runtimes WHERE image = ANY($1)', [RUNTIMES.map((r) => r[0])]);
    await queryRunner.query('DELETE FROM plans WHERE name = ANY($1)', [PLANS.map((p) => p[0])]);
  }
}
