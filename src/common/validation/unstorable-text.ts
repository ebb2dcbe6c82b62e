import { FieldErrors } from '../errors/domain-error.js';

export const NUL_PROBLEM = 'must not contain NUL characters';
// Worded like the storage password rule, which had it first.
export const LONE_SURROGATE_PROBLEM = 'must be valid Unicode';

/**
 * Strings in `value` that PostgreSQL cannot store as sent, by field path (`name`, `ssh_keys.0`):
 * a NUL (U+0000), which a text value refuses (SQLSTATE 22021, which would be a 500), and a lone
 * UTF-16 surrogate (JSON allows `"\ud800"`), which `pg` silently replaces with U+FFFD, so what
 * is stored would not be what was sent.
 */
export function unstorableText(value: unknown, root: string): FieldErrors {
  const errors: FieldErrors = {};
  // A loop, not recursion: however deep a body nests, this cannot overflow the stack.
  const pending: Array<[string, unknown]> = [[root, value]];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [path, item] = next;
    if (typeof item === 'string') {
      const problem = item.includes('\0') ? NUL_PROBLEM : item.isWellFormed() ? null : LONE_SURROGATE_PROBLEM;
      if (problem) errors[path || 'body'] = [problem];
    } else if (typeof item === 'object' && item !== null) {
      // Field names need no check: a DTO refuses every name it does not know.
      for (const [key, child] of Object.entries(item)) pending.push([path ? `${path}.${key}` : key, child]);
    }
  }
  return errors;
}
