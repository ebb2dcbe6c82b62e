import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { PreparedStatement, queryPrepared } from '../database/pg-pool.js';
import { RuntimeDto } from './runtime.dto.js';

const LIST_RUNTIMES: PreparedStatement = {
  name: 'list-runtimes',
  text: 'SELECT id, image, "default", show, name, techs FROM runtimes ORDER BY id',
};

@Injectable()
export class RuntimesService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async list(): Promise<RuntimeDto[]> {
    const { rows } = await queryPrepared<RuntimeDto>(this.db, LIST_RUNTIMES);
    return rows;
  }
}
