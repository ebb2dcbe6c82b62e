import { describe, expect, it } from 'vitest';
import { SecretMask } from '../src/common/redact/secret-mask.js';

describe('SecretMask', () => {
  it('masks every occurrence of a value, its percent-encoded form and each line of a multi-line value', () => {
    const mask = new SecretMask(['p@ss/word+1', '-----BEGIN KEY-----\nAAAABBBBCCCC\n-----END KEY-----']);
    expect(mask.apply('DATABASE_URL=postgres://u:p%40ss%2Fword%2B1@h/db and p@ss/word+1 twice p@ss/word+1')).toBe('DATABASE_URL=postgres://u:***@h/db and *** twice ***');
    expect(mask.apply('key:\n-----BEGIN KEY-----\nAAAABBBBCCCC\n-----END KEY-----')).toBe('key:\n***');
    // A log takes output line by line: each line of the value is masked on its own.
    expect(['-----BEGIN KEY-----', '  AAAABBBBCCCC  ', '-----END KEY-----'].map((line) => mask.apply(line))).toEqual(['***', '  ***  ', '***']);
  });

  it('masks the longer of two overlapping values whole, takes regex characters literally, and leaves short values alone', () => {
    const mask = new SecretMask(['secret', 'secret-and-more', 'a.*b', 'abc']);
    expect(mask.apply('secret-and-more / secret / a.*b / axxb / abc')).toBe('*** / *** / *** / axxb / abc');
    expect(new SecretMask([]).apply('nothing to hide')).toBe('nothing to hide');
  });
});
