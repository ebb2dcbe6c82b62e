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

  describe('pieces of a line that was cut', () => {
    const secret = 'Kx9-secret-value-0042';
    const mask = new SecretMask([secret]);
    const line = `token=${secret} done`;

    it('masks a value cut in two, in both pieces, wherever the cut falls', () => {
      // Cuts that leave 4 characters or more of the value on each side.
      for (let cut = 'token='.length + 4; cut <= 'token='.length + secret.length - 4; cut++) {
        const first = mask.applyPiece(line.slice(0, cut), false, true);
        const second = mask.applyPiece(line.slice(cut), true, false);
        expect(`${first}|${second}`, `cut at ${cut}`).toBe('token=***|*** done');
      }
    });

    it('masks a piece that lies inside a value, and whole values as ever', () => {
      expect(mask.applyPiece(secret.slice(5, 15), true, true)).toBe('***');
      expect(mask.applyPiece(`${secret} and ${secret.slice(0, 6)}`, false, true)).toBe('*** and ***');
      expect(mask.applyPiece(`${secret.slice(-6)} and ${secret}`, true, false)).toBe('*** and ***');
    });

    it('leaves text alone that only looks like a value at a cut, and pieces of fewer than 4 characters', () => {
      // The end of the value at the end of a piece, its start at the start of the next: not a value cut in two.
      expect(mask.applyPiece(`a ${secret.slice(-6)}`, false, true)).toBe(`a ${secret.slice(-6)}`);
      expect(mask.applyPiece(`${secret.slice(0, 6)} b`, true, false)).toBe(`${secret.slice(0, 6)} b`);
      expect(mask.applyPiece('progress 45%', false, true)).toBe('progress 45%');
      expect(mask.applyPiece(`x ${secret.slice(0, 3)}`, false, true)).toBe(`x ${secret.slice(0, 3)}`);
      // Not a cut piece: only whole values.
      expect(mask.applyPiece(`x ${secret.slice(0, 8)}`, false, false)).toBe(`x ${secret.slice(0, 8)}`);
    });
  });
});
