import { ApiProperty } from '@nestjs/swagger';
import { ERROR_STATUS, ErrorCode, FieldErrors } from './domain-error.js';

export const ERROR_CODES = Object.keys(ERROR_STATUS) as ErrorCode[];

/** The shape of every error answer. */
export class ErrorResponseDto {
  /** A sentence for a person. */
  message: string;

  @ApiProperty({ enum: ERROR_CODES, enumName: 'ErrorCode', description: 'Stable machine-readable code.' })
  code: ErrorCode;

  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'array', items: { type: 'string' } },
    description: 'Problems by field name (body, query or path); empty when the error is not about a field.',
    example: { email: ['must be an email address'] },
  })
  errors: FieldErrors;
}
