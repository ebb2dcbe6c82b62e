import { ArgumentMetadata, Injectable, PipeTransform, ValidationError, ValidationPipe } from '@nestjs/common';
import { DomainError, FieldErrors } from '../errors/domain-error.js';
import { withoutIgnoredFields } from './ignore-fields.js';
import { unstorableText } from './unstorable-text.js';

/** Flattens class-validator's tree into `{ "field.sub": ["problem", ...] }`. */
export function fieldErrors(errors: ValidationError[], parent = ''): FieldErrors {
  const out: FieldErrors = {};
  for (const error of errors) {
    const path = parent ? `${parent}.${error.property}` : error.property;
    for (const [constraint, message] of Object.entries(error.constraints ?? {})) {
      // class-validator words this as "property x should not exist"; name the field instead.
      const text = constraint === 'whitelistValidation' ? 'is not a known field' : stripProperty(message, error.property);
      (out[path] ??= []).push(text);
    }
    Object.assign(out, fieldErrors(error.children ?? [], path));
  }
  return out;
}

// "email must be an email" -> "must be an email": the field is already the key.
function stripProperty(message: string, property: string): string {
  return message.startsWith(`${property} `) ? message.slice(property.length + 1) : message;
}

/**
 * Validates bodies, queries and params against their DTOs. Unknown fields are
 * rejected by name; a body that is not a JSON object is rejected as a whole.
 * Before any of that, every string of every body, query and path parameter, DTO
 * or not, is checked once for what PostgreSQL cannot store (NUL, lone surrogates).
 */
@Injectable()
export class BerthValidationPipe implements PipeTransform {
  private readonly inner = new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => DomainError.validation(fieldErrors(errors)),
  });

  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    if (metadata.type === 'body' || metadata.type === 'query' || metadata.type === 'param') {
      const unstorable = unstorableText(value, metadata.data ?? '');
      if (Object.keys(unstorable).length > 0) throw DomainError.validation(unstorable);
    }
    const isDto = typeof metadata.metatype === 'function' && ![String, Number, Boolean, Array, Object].includes(metadata.metatype as never);
    // A DTO that says so (every field optional: a rollback's version) may come as no body at all.
    if (metadata.type === 'body' && isDto && value === undefined && (metadata.metatype as { bodyOptional?: boolean }).bodyOptional) value = {};
    if (metadata.type === 'body' && isDto && (value === null || typeof value !== 'object' || Array.isArray(value))) {
      throw DomainError.field('body', 'must be a JSON object');
    }
    if (metadata.type === 'body' && isDto) value = withoutIgnoredFields(metadata.metatype as Function, value as Record<string, unknown>);
    return this.inner.transform(value, metadata);
  }
}
