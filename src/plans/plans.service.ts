import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { PreparedStatement, queryPrepared } from '../database/pg-pool.js';
import { PlanDto } from './plan.dto.js';

const LIST_PLANS: PreparedStatement = {
  name: 'list-plans',
  text: 'SELECT id, name, ram, disk, cpu_quota, price FROM plans ORDER BY id',
};

@Injectable()
export class PlansService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async list(): Promise<PlanDto[]> {
    const { rows } = await queryPrepared<PlanDto>(this.db, LIST_PLANS);
    return rows;
  }
}
