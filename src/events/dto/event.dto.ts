import { PageQueryDto } from '../../common/pagination/page-query.dto.js';
import { ApiProperty, OmitType } from '@nestjs/swagger';
import { IsIn, IsOptional, IsRFC3339, IsString, Length } from 'class-validator';
import { EVENT_ACTIONS, EVENT_TARGET_TYPES, type EventAction, type EventData, type EventTargetType } from '../event-actions.js';

export class EventDto {
  @ApiProperty({ type: 'integer' })
  id: number;
  @ApiProperty({ enum: EVENT_ACTIONS, enumName: 'EventAction' })
  action: EventAction;
  /** Who acted; for a failed login, the account whose password was tried. */
  @ApiProperty({ type: 'integer', nullable: true })
  account_id: number | null;
  /** The token the change was made with; null for login and registration. */
  @ApiProperty({ type: 'integer', nullable: true })
  token_id: number | null;
  /** The client's address (with TRUST_PROXY, as the proxy's X-Forwarded-For says); null for operator commands. */
  @ApiProperty({ type: 'string', nullable: true })
  ip: string | null;
  // Inline rather than the named enum: a $ref cannot be nullable in OpenAPI 3.0.
  @ApiProperty({ type: 'string', enum: EVENT_TARGET_TYPES, nullable: true })
  target_type: EventTargetType | null;
  /** The target's id as the API's paths name it: a number for most, a domain's name for a domain. */
  @ApiProperty({ type: 'string', nullable: true })
  target_id: string | null;
  /** Details, never secrets: changes name the fields they changed, e.g. `{"fields": ["plan", "domains"]}`. */
  @ApiProperty({ type: 'object', additionalProperties: true })
  data: EventData;
  created_at: Date;
}

export class ListEventsQueryDto extends PageQueryDto {
  /** Only events of this action. */
  @ApiProperty({ enum: EVENT_ACTIONS, enumName: 'EventAction', required: false })
  @IsOptional()
  @IsIn(EVENT_ACTIONS, { message: 'must be an event action, like app.create' })
  action?: EventAction;

  /** Only events on targets of this type. */
  @ApiProperty({ enum: EVENT_TARGET_TYPES, enumName: 'EventTargetType', required: false })
  @IsOptional()
  @IsIn(EVENT_TARGET_TYPES, { message: `must be one of ${EVENT_TARGET_TYPES.join(', ')}` })
  target_type?: EventTargetType;

  /** Only events on the target with this id (with `target_type`, or any type with that id). */
  @IsOptional()
  @IsString()
  @Length(1, 255)
  target_id?: string;

  /** Only events at or after this time (RFC 3339, e.g. 2026-11-22T10:00:00Z). */
  @ApiProperty({ type: 'string', format: 'date-time', required: false })
  @IsOptional()
  @IsRFC3339({ message: 'must be an RFC 3339 date-time, like 2026-11-22T10:00:00Z' })
  since?: string;
}

/** The account's own events have no target filter: they are about the account itself. */
export class ListAccountEventsQueryDto extends OmitType(ListEventsQueryDto, ['target_type', 'target_id'] as const) {}
