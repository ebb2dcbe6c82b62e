import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { pgPool } from '../database/pg-pool.js';
import { RuntimeDto } from './runtime.dto.js';

@Injectable()
export class RuntimesService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async list(): Promise<RuntimeDto[]> {
    const { rows } = await pgPool(this.db).query<RuntimeDto>(
      'SELECT id, image, "default", show, name, techs FROM runtimes ORDER BY id',
    );
    return rows;
  }
}
