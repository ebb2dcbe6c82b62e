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
  /** Longest first. */
  private readonly forms: string[];

  constructor(values: Iterable<string>) {
    const forms = new Set<string>();
    for (const value of values) {
      for (const form of [value, encodeURIComponent(value), ...value.split(/\r?\n/).map((line) => line.trim())]) {
        if (form.length >= MIN_LENGTH) forms.add(form);
      }
    }
    this.forms = [...forms].sort((a, b) => b.length - a.length);
    this.pattern = this.forms.length ? new RegExp(this.forms.map(escape).join('|'), 'g') : null;
  }

  apply(text: string): string {
    return this.pattern ? text.replace(this.pattern, MASKED) : text;
  }

  /**
   * Masks one piece of a line that was cut in pieces (a very long line, or one printed in parts
   * with a pause between): besides whole values, the start of a value at its end when the line
   * goes on (`continues`), the rest of one at its start when it is the line's continuation
   * (`continued`), and the whole piece when it lies inside a value. Only pieces of MIN_LENGTH
   * characters or more: a shorter one is ordinary text as often as not, and gives little away.
   */
  applyPiece(text: string, continued: boolean, continues: boolean): string {
    if (!this.pattern || (!continued && !continues)) return this.apply(text);
    if (continued && continues && text.length >= MIN_LENGTH && this.forms.some((form) => form.includes(text))) return MASKED;
    let head = 0;
    let tail = text.length;
    for (const form of this.forms) {
      // The end of a value the piece before began: the piece starts with it.
      if (continued) {
        for (let k = Math.min(form.length - 1, text.length); k >= MIN_LENGTH && k > head; k--) {
          if (text.startsWith(form.slice(form.length - k))) head = k;
        }
      }
      // The start of a value the next piece ends: the piece ends with it.
      if (continues) {
        for (let k = Math.min(form.length - 1, text.length); k >= MIN_LENGTH && text.length - k < tail; k--) {
          if (text.endsWith(form.slice(0, k))) tail = text.length - k;
        }
      }
    }
    if (head >= tail) return MASKED;
    return (head > 0 ? MASKED : '') + this.apply(text.slice(head, tail)) + (tail < text.length ? MASKED : '');
  }
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
