import { DomainError, FieldErrors } from '../common/errors/domain-error.js';

/** POSIX shell names: what `export NAME=...` and every runtime's environment accept. */
export const CONFIG_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Names Berth or the runtime set themselves: PORT and HOME (Berth), what the image and an SSH
 * login provide (PATH, LANG, USER, LOGNAME, SHELL, HOSTNAME, TERM, PWD, SHLVL), what
 * supervisord gives its programs (SUPERVISOR_*), and Berth's own namespace (BERTH_*).
 */
const RESERVED = new Set(['PORT', 'HOME', 'PATH', 'LANG', 'USER', 'LOGNAME', 'SHELL', 'HOSTNAME', 'TERM', 'PWD', 'OLDPWD', 'SHLVL']);
const RESERVED_PREFIXES = ['BERTH_', 'SUPERVISOR_'];

/** Why a name cannot be set, or null when it can. */
export function nameProblem(name: string): string | null {
  if (!CONFIG_NAME.test(name)) return 'is not a variable name: letters, digits and _, not starting with a digit';
  if (name.length > 255) return 'is longer than 255 characters';
  if (RESERVED.has(name)) return 'is set by Berth or the runtime and cannot be changed';
  const prefix = RESERVED_PREFIXES.find((p) => name.startsWith(p));
  if (prefix) return `starts with ${prefix}, which Berth or the runtime keep for themselves`;
  return null;
}

/** Why a value cannot be stored, or null when it can (NUL and lone surrogates are refused earlier, for every field). */
export function valueProblem(value: unknown, maxBytes: number): string | null {
  if (typeof value !== 'string') return 'must be a string';
  if (Buffer.byteLength(value, 'utf8') > maxBytes) return `is longer than ${maxBytes} bytes`;
  return null;
}

/** 400 naming each variable that cannot be set. */
export function assertNoProblems(problems: FieldErrors): void {
  if (Object.keys(problems).length > 0) throw DomainError.validation(problems);
}

/** The bytes an environment takes: `NAME=value` for each variable. */
export function environmentBytes(vars: Iterable<[string, string]>): number {
  let total = 0;
  for (const [name, value] of vars) total += Buffer.byteLength(name) + 1 + Buffer.byteLength(value);
  return total;
}
