import { readFileSync } from 'node:fs';

let list: Set<string> | undefined;

/**
 * Whether `password` is on the list of the 10,000 most common passwords shipped beside this file
 * (common-passwords.txt, with its source), whatever its letter case: attackers try these first.
 */
export function isCommonPassword(password: string): boolean {
  // Read once, on first use; the build copies the list next to the compiled file (nest-cli.json).
  list ??= new Set(
    readFileSync(new URL('./common-passwords.txt', import.meta.url), 'utf8')
      .split('\n')
      .filter((line) => line !== '' && !line.startsWith('#')),
  );
  return list.has(password.toLowerCase());
}
