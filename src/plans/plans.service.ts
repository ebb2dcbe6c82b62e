import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { pgPool } from '../database/pg-pool.js';
import { PlanDto } from './plan.dto.js';

@Injectable()
export class PlansService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async list(): Promise<PlanDto[]> {
    const { rows } = await pgPool(this.db).query<PlanDto & { price: string }>(
      'SELECT id, name, ram, disk, cpu_quota, price FROM plans ORDER BY id',
    );
    return rows.map((row) => ({ ...row, price: Number(row.price) }));
  }
}
