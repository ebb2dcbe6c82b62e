import { ApiHideProperty } from '@nestjs/swagger';
import { Allow } from 'class-validator';

/**
 * Base of the query DTO of a list that has filters of its own (`?app=`): lets `limit` and
 * `after` past the validation pipe's whitelist. `@PageQuery()` checks them (it knows the
 * configured maximum) and `@Paginated()` documents them.
 */
export class PageQueryDto {
  @ApiHideProperty()
  @Allow()
  limit?: string;

  @ApiHideProperty()
  @Allow()
  after?: string;
}
