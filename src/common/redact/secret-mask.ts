/** What a masked secret is replaced with. */
export const MASKED = '***';

/**
 * Shorter values are not masked: replacing every "abc" in a log would make it unreadable,
 * and a value that short is no secret a log could give away (it can be guessed).
 */
const MIN_LENGTH = 4;

/**
 * Replaces the secrets' values in text that people with less access than the secrets' owner
 * read (deploy logs), as CI systems mask theirs. Each value is masked as it is, percent-encoded
 * (as it appears in a URL) and line by line (a key printed over several lines), longest first,
 * so that no part of a longer value is left beside the mask of a shorter one.
 */
export class SecretMask {
  private readonly pattern: RegExp | null;

  constructor(values: Iterable<string>) {
    const forms = new Set<string>();
    for (const value of values) {
      for (const form of [value, encodeURIComponent(value), ...value.split(/\r?\n/).map((line) => line.trim())]) {
        if (form.length >= MIN_LENGTH) forms.add(form);
      }
    }
    const sorted = [...forms].sort((a, b) => b.length - a.length);
    this.pattern = sorted.length ? new RegExp(sorted.map(escape).join('|'), 'g') : null;
  }

  apply(text: string): string {
    return this.pattern ? text.replace(this.pattern, MASKED) : text;
  }
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
