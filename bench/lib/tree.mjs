// Trees of files of mixed sizes, for the benchmarks that move an app's files (bench/ssh,
// bench/deploy): a few big files, some medium, many small; half random (incompressible),
// half text-like (compressible), as an application's tree with its assets and dependencies is.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export const MB = 1024 * 1024;

const words = Array.from({ length: 500 }, () => randomBytes(4).toString('hex'));

function text(size) {
  let out = '';
  while (out.length < size) out += `${words[Math.floor(Math.random() * words.length)]} ${Math.random()}\n`;
  return Buffer.from(out.slice(0, size));
}

/** Each file of `plan` ([[count, size, kind], …]) with its index in its kind and its path under `root`. */
function* files(root, plan) {
  for (const [count, size, kind] of plan) {
    for (let i = 0; i < count; i++) yield { i, size, file: path.join(root, kind, String(i % 16), `${kind}-${i}.dat`) };
  }
}

/** Writes one file: odd indexes random, even ones text-like; new contents each time. */
function write({ i, size, file }) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, i % 2 ? randomBytes(size) : text(size));
}

/** Writes the files of `plan` under `root`; returns how many bytes they hold. */
export function makeTree(root, plan) {
  let total = 0;
  for (const f of files(root, plan)) {
    write(f);
    total += f.size;
  }
  return total;
}

/**
 * Gives new contents to one file in `every` of each kind of `plan` (those whose index is `turn`
 * modulo `every`): the same share of files and bytes changes each turn, a different set each time.
 * Returns how many files and bytes changed.
 */
export function refreshTree(root, plan, every, turn) {
  let count = 0;
  let bytes = 0;
  for (const f of files(root, plan)) {
    if (f.i % every !== turn % every) continue;
    write(f);
    count++;
    bytes += f.size;
  }
  return { count, bytes };
}
