const IGNORED_FIELDS = Symbol('berth:ignored-fields');

interface IgnoredFields {
  names: Set<string>;
  patterns: RegExp[];
}

/**
 * Fields a body DTO accepts and drops before validation: the read-only fields of
 * the resource, so a client may send back the whole object it read. Any other
 * unknown field is still refused by name.
 */
export function IgnoreFields(names: string[], ...patterns: RegExp[]): ClassDecorator {
  return (target) => {
    Reflect.defineMetadata(IGNORED_FIELDS, { names: new Set(names), patterns } satisfies IgnoredFields, target);
  };
}

/** A copy of `body` without the fields its DTO ignores (the body itself when it ignores none). */
export function withoutIgnoredFields(dto: Function, body: Record<string, unknown>): Record<string, unknown> {
  const ignored = Reflect.getMetadata(IGNORED_FIELDS, dto) as IgnoredFields | undefined;
  if (!ignored) return body;
  return Object.fromEntries(Object.entries(body).filter(([key]) => !ignored.names.has(key) && !ignored.patterns.some((p) => p.test(key))));
}
