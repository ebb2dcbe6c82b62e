import { ValidationOptions } from 'class-validator';
import { problemValidator } from '../../common/validation/problem-validator.js';
import { isCommonPassword } from '../common-passwords.js';

export const ACCOUNT_PASSWORD_MIN = 10;
export const ACCOUNT_PASSWORD_MAX = 1024;

// `aaaaaaaaaa`, `abababababab`: the whole password is a unit of up to 4 characters, repeated.
function isRepetition(chars: string[]): boolean {
  for (let unit = 1; unit <= 4 && unit < chars.length; unit++) {
    if (chars.every((c, i) => c === chars[i % unit])) return true;
  }
  return false;
}

// `abcdefghij`, `9876543210`: every character the one after (or before) the previous.
function isRun(chars: string[]): boolean {
  const points = chars.map((c) => c.codePointAt(0)!);
  const step = points[1] - points[0];
  return Math.abs(step) === 1 && points.every((p, i) => i === 0 || p - points[i - 1] === step);
}

/**
 * The password policy for accounts (NIST SP 800-63B 5.1.1.2, OWASP Authentication Cheat Sheet):
 * 10 to 1024 characters counted in code points (an emoji is one, whatever its UTF-16 or UTF-8
 * size), not one of the most common passwords, not one character or short unit repeated, not a
 * run of consecutive characters. No composition rules: any Unicode, spaces included, is fine.
 */
export function accountPasswordProblem(value: unknown): string | null {
  if (typeof value !== 'string') return 'must be a string';
  const chars = [...value];
  if (chars.length < ACCOUNT_PASSWORD_MIN || chars.length > ACCOUNT_PASSWORD_MAX) {
    return `must be ${ACCOUNT_PASSWORD_MIN} to ${ACCOUNT_PASSWORD_MAX} characters long`;
  }
  if (isCommonPassword(value)) return 'is one of the most common passwords, which attackers try first; choose another';
  if (isRepetition(chars) || isRun(chars)) return 'is a repeated or consecutive run of characters, which attackers try first; choose another';
  return null;
}

export function IsAccountPassword(options?: ValidationOptions): PropertyDecorator {
  return problemValidator('isAccountPassword', accountPasswordProblem, 'is not an acceptable password', options);
}
