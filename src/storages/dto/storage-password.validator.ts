import { ValidationOptions } from 'class-validator';
import { problemValidator } from '../../common/validation/problem-validator.js';

export const STORAGE_PASSWORD_MIN = 12;
export const STORAGE_PASSWORD_MAX = 128;
const PASSPHRASE_LENGTH = 20;

/**
 * The password policy for storages, documented in the README: 12 to 128
 * characters, no control characters, and either three of lower case, upper
 * case, digits and other characters, or a passphrase of 20 characters or more.
 * Quotes, backslashes, semicolons and any Unicode are fine: the password never
 * reaches SQL as text.
 */
export function storagePasswordProblem(value: unknown): string | null {
  if (typeof value !== 'string') return 'must be a string';
  const length = [...value].length;
  if (length < STORAGE_PASSWORD_MIN || length > STORAGE_PASSWORD_MAX) {
    return `must be ${STORAGE_PASSWORD_MIN} to ${STORAGE_PASSWORD_MAX} characters long`;
  }
  if (/\p{Cc}/u.test(value)) return 'must not contain control characters';
  // A lone UTF-16 surrogate is not a character any client can send.
  if (!value.isWellFormed()) return 'must be valid Unicode';
  if (length >= PASSPHRASE_LENGTH) return null;
  const classes = [/\p{Ll}/u, /\p{Lu}/u, /\p{Nd}/u, /[^\p{Ll}\p{Lu}\p{Nd}]/u].filter((re) => re.test(value)).length;
  if (classes < 3) {
    return `must mix at least three of lower case, upper case, digits and other characters, or be ${PASSPHRASE_LENGTH} characters or longer`;
  }
  return null;
}

export function IsStoragePassword(options?: ValidationOptions): PropertyDecorator {
  return problemValidator('isStoragePassword', storagePasswordProblem, 'is not an acceptable password', options);
}
