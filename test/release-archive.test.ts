// Attack catalogue: release archives that would reach outside the tree they unpack to. Each
// archive is fed to the check the API runs before a deploy changes anything (no server here):
// `..` and absolute names, links out of the tree (directly, through the archive's own links, or by
// a member under a link), hard links out, devices and FIFOs, names hidden in pax and GNU long-name
// records, a global pax path, a decompression bomb, too many entries, and bodies that are not a
// tar.gz at all. Real archives come from GNU tar (as a CI pipeline makes them), crafted ones from
// Python's tarfile. The last group feeds archives that GNU tar (what unpacks them in the app's
// container) reads differently from the check: whatever GNU tar unpacks, the check must see.
// Reference: OWASP API Security Top 10 2023, API8 Security Misconfiguration; CWE-22 (path
// traversal), CWE-59 (link following), CWE-409 (decompression bomb).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { crafted } from './support/crafted-tar.js';
import { ArchiveLimits, ArchiveProblem, ArchiveSummary, checkArchive } from '../src/releases/archive/archive-check.js';
import { treeChange } from '../src/releases/archive/tar-manifest.js';
import { TarOwner } from '../src/releases/archive/tar-owner.js';

const MB = 1024 * 1024;
const LIMITS: ArchiveLimits = { unpackedMaxBytes: 10 * MB, entriesMax: 1000 };

const scratch = mkdtempSync(join(tmpdir(), 'berth-archive-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
let trees = 0;

/** A tree on disk: files (text), `{ link }` symbolic links, `{ fifo: true }` FIFOs, `{ text, mode }` files with a mode. */
type Node = string | { link: string } | { fifo: true } | { text: string; mode: number };
function tree(nodes: Record<string, Node>): string {
  const dir = join(scratch, `tree${trees++}`);
  mkdirSync(dir);
  for (const [path, node] of Object.entries(nodes)) {
    const at = join(dir, path);
    mkdirSync(dirname(at), { recursive: true });
    if (typeof node === 'string') writeFileSync(at, node);
    else if ('link' in node) symlinkSync(node.link, at);
    else if ('fifo' in node) execFileSync('mkfifo', [at]);
    else writeFileSync(at, node.text, { mode: node.mode });
  }
  return dir;
}

/** A tar.gz made by GNU tar, as a CI pipeline would: `tar -czf - -C <dir> <members>`. */
function gnuTar(dir: string, members: string[] = ['.'], flags: string[] = []): Buffer {
  return execFileSync('tar', ['-czf', '-', ...flags, '-C', dir, ...members], { maxBuffer: 64 * MB });
}

/** What GNU tar (the extractor in the app's container) lists: `tar -tvzf`. */
function gnuList(archive: Buffer): string {
  return execFileSync('tar', ['-tvzf', '-'], { input: archive }).toString();
}

const check = (archive: Buffer, limits: Partial<ArchiveLimits> = {}): Promise<ArchiveSummary> => checkArchive(Readable.from([archive]), { ...LIMITS, ...limits });

/** The check's refusal; fails the test, showing what it accepted, when there is none. */
async function refusal(archive: Buffer, limits: Partial<ArchiveLimits> = {}): Promise<ArchiveProblem> {
  let summary: ArchiveSummary;
  try {
    summary = await check(archive, limits);
  } catch (err) {
    expect(err).toBeInstanceOf(ArchiveProblem);
    return err as ArchiveProblem;
  }
  throw new Error(`the archive was accepted: ${JSON.stringify(summary)}`);
}

/** Refused, naming `entry` (exactly, or matching), with a message matching `problem`. */
async function refusedNaming(archive: Buffer, entry: string | RegExp, problem: RegExp, limits: Partial<ArchiveLimits> = {}): Promise<ArchiveProblem> {
  const refused = await refusal(archive, limits);
  if (typeof entry === 'string') expect(refused.entry, refused.message).toBe(entry);
  else expect(refused.entry, refused.message).toMatch(entry);
  expect(refused.message).toContain(`entry "${refused.entry}": `);
  expect(refused.message).toMatch(problem);
  return refused;
}

describe('archives that stay inside the tree', () => {
  it('accepts a GNU tar of a tree with nested directories, executables and an inner relative link, counting it exactly', async () => {
    const files = {
      'server.js': 'console.log("hello");\n',
      'bin/start': { text: '#!/bin/sh\nexec node server.js\n', mode: 0o755 },
      'src/lib/util.js': 'module.exports = 42;\n',
      'node_modules/pkg/package.json': '{"name":"pkg","bin":{"x":"bin/x"}}\n',
      'node_modules/pkg/bin/x': { text: '#!/usr/bin/env node\nconsole.log("x");\n', mode: 0o755 },
      'node_modules/.bin/x': { link: '../pkg/bin/x' },
    };
    const archive = gnuTar(tree(files));
    const listing = gnuList(archive);
    expect(listing).toMatch(/^-rwxr-xr-x .* \.\/bin\/start$/m);
    expect(listing).toMatch(/^l.* \.\/node_modules\/\.bin\/x -> \.\.\/pkg\/bin\/x$/m);
    const bytes = Object.values(files).reduce((sum, node) => sum + (typeof node === 'string' ? node.length : 'text' in node ? node.text.length : 0), 0);
    // Directories: ., bin, src, src/lib, node_modules, node_modules/pkg, node_modules/pkg/bin, node_modules/.bin.
    expect(await check(archive)).toMatchObject({ entries: 8 + 5 + 1, files: 5, unpackedBytes: bytes });
  });

  it('accepts long names in pax and GNU form, and links that climb with .. but stay inside', async () => {
    const deep = `${'deep/'.repeat(30)}file.txt`;
    for (const format of ['pax', 'gnu'] as const) {
      const archive = crafted(
        [
          { name: deep, data: 'x' },
          { name: 'a/b/up', type: 'symlink', linkname: '../../deep/deep' },
          { name: 'a/b/again', type: 'hardlink', linkname: deep },
        ],
        { format },
      );
      expect(await check(archive), format).toMatchObject({ entries: 3, files: 1, unpackedBytes: 1 });
    }
  });
});

describe('names that leave the tree', () => {
  it('refuses ../evil', async () => {
    await refusedNaming(crafted([{ name: '../evil', data: 'x' }]), '../evil', /climbs out of the tree with "\.\."/);
  });

  it('refuses a/../../evil', async () => {
    await refusedNaming(crafted([{ name: 'a', type: 'dir' }, { name: 'a/../../evil', data: 'x' }]), 'a/../../evil', /climbs out of the tree with "\.\."/);
  });

  it('refuses an absolute /etc/passwd, crafted or written by GNU tar -P', async () => {
    await refusedNaming(crafted([{ name: '/etc/passwd', data: 'root::0:0::/:/bin/sh\n' }]), '/etc/passwd', /is an absolute path/);
    const dir = tree({ 'abs.txt': 'x' });
    const archive = gnuTar(dir, [join(dir, 'abs.txt')], ['-P']);
    await refusedNaming(archive, join(dir, 'abs.txt'), /is an absolute path/);
  });

  it('refuses a GNU long name (an L record) over 100 characters that climbs with ..', async () => {
    const long = `${'a'.repeat(60)}/${'b'.repeat(50)}/../../../evil`;
    const archive = crafted([{ name: long, data: 'x' }], { format: 'gnu' });
    expect(gunzipSync(archive).subarray(156, 157).toString()).toBe('L');
    await refusedNaming(archive, long, /climbs out of the tree with "\.\."/);
  });

  it('refuses a pax path of ../x whose ustar name is innocent', async () => {
    const archive = crafted([{ name: 'innocent', data: 'x', pax: { path: '../x' } }]);
    const raw = gunzipSync(archive);
    expect(raw.subarray(156, 157).toString()).toBe('x');
    // The member's own ustar header, after the pax header and its one block of records.
    expect(raw.subarray(1024, 1024 + 9).toString()).toBe('innocent\0');
    await refusedNaming(archive, '../x', /climbs out of the tree with "\.\."/);
  });

  it('refuses a global pax header that sets a path', async () => {
    const refused = await refusal(crafted([{ name: 'app.js', data: 'x' }], { global: { path: '../x' } }));
    expect(refused.entry).toBeNull();
    expect(refused.message).toMatch(/a global pax header sets a path/);
  });
});

describe('links that lead out', () => {
  it('refuses a symbolic link to /etc (GNU tar)', async () => {
    await refusedNaming(gnuTar(tree({ 'app.js': 'x', 'etc-link': { link: '/etc' } })), './etc-link', /is a link to the absolute path "\/etc"/);
  });

  it('refuses a link up -> ../.. (GNU tar)', async () => {
    await refusedNaming(gnuTar(tree({ 'app.js': 'x', up: { link: '../..' } })), /^(\.\/)?up$/, /is a link to "\.\.\/\.\.", which leads outside/);
  });

  it('refuses links that escape only once resolved through the archive’s own links (GNU tar)', async () => {
    // a -> . is harmless alone, so is b -> a/../x as text; together b leads to ../x.
    await refusedNaming(gnuTar(tree({ a: { link: '.' }, b: { link: 'a/../x' } })), /^(\.\/)?b$/, /which leads outside/);
    // a -> sub/deeper goes two levels down; b climbs three from there.
    await refusedNaming(gnuTar(tree({ 'sub/deeper/app.js': 'x', a: { link: 'sub/deeper' }, b: { link: 'a/../../../x' } })), /^(\.\/)?b$/, /which leads outside/);
    // A nested link that climbs past the top.
    await refusedNaming(gnuTar(tree({ 'lib/up': { link: '../../etc' } })), /^(\.\/)?lib\/up$/, /which leads outside/);
  });

  it('refuses a member under a link (link -> sub, then link/file), whatever the order', async () => {
    const after = crafted([{ name: 'sub', type: 'dir' }, { name: 'link', type: 'symlink', linkname: 'sub' }, { name: 'link/file', data: 'x' }]);
    await refusedNaming(after, 'link/file', /lies under "link", which the archive makes a link/);
    const before = crafted([{ name: 'link/file', data: 'x' }, { name: 'link', type: 'symlink', linkname: 'sub' }]);
    await refusedNaming(before, 'link/file', /lies under "link"/);
  });

  it('refuses a hard link to ../x or to an absolute path', async () => {
    await refusedNaming(crafted([{ name: 'h', type: 'hardlink', linkname: '../x' }]), 'h', /climbs out of the tree with "\.\."/);
    await refusedNaming(crafted([{ name: 'h', type: 'hardlink', linkname: '/etc/shadow' }]), 'h', /is an absolute path/);
  });

  it('refuses a pax linkpath that leads out behind an innocent ustar link name', async () => {
    await refusedNaming(crafted([{ name: 'l', type: 'symlink', linkname: 'ok', pax: { linkpath: '/etc' } }]), 'l', /absolute path "\/etc"/);
  });
});

describe('members that are not files, directories or links', () => {
  it('refuses a character device (GNU tar of /dev/null, and crafted)', async () => {
    await refusedNaming(gnuTar('/dev', ['null']), 'null', /is a device/);
    await refusedNaming(crafted([{ name: 'app.js', data: 'x' }, { name: 'mem', type: 'chr' }]), 'mem', /is a device/);
  });

  it('refuses a FIFO (GNU tar)', async () => {
    await refusedNaming(gnuTar(tree({ 'app.js': 'x', pipe: { fifo: true } })), './pipe', /is a FIFO/);
  });
});

describe('limits', () => {
  it('refuses a decompression bomb (200 MB of zeros in one file) naming that entry', async () => {
    const archive = crafted([{ name: 'app.js', data: 'x' }, { name: 'bomb.bin', zeros: 200 * MB }]);
    expect(archive.length).toBeLessThan(MB);
    await refusedNaming(archive, 'bomb.bin', /past 10485760 bytes, the most allowed/, { unpackedMaxBytes: 10 * MB });
  });

  it('refuses files that together unpack to more than allowed, naming the one that crosses the limit', async () => {
    const archive = crafted(Array.from({ length: 12 }, (_, i) => ({ name: `f${i}`, zeros: MB })));
    await refusedNaming(archive, 'f10', /past 10485760 bytes/, { unpackedMaxBytes: 10 * MB });
  });

  it('refuses more entries than entriesMax, naming the first one past it', async () => {
    const archive = crafted(Array.from({ length: 11 }, (_, i) => ({ name: `f${i}`, data: 'x' })));
    await refusedNaming(archive, 'f10', /past the 10 entries an archive may hold/, { entriesMax: 10 });
    expect(await check(archive, { entriesMax: 11 })).toMatchObject({ entries: 11 });
  });
});

describe('bodies that are not a tar.gz', () => {
  it('refuses a body that is not gzip (an uncompressed tar, plain text)', async () => {
    const tar = gunzipSync(crafted([{ name: 'app.js', data: 'x' }]));
    for (const body of [tar, Buffer.from('hello, this is not an archive\n')]) {
      const refused = await refusal(body);
      expect(refused.entry).toBeNull();
      expect(refused.message).toMatch(/is not a gzip-compressed tar archive/);
    }
  });

  it('refuses a gzip of text that is not tar', async () => {
    const refused = await refusal(gzipSync(Buffer.from('not a tar archive, just words\n'.repeat(100))));
    expect(refused.entry).toBeNull();
    expect(refused.message).toMatch(/is not a tar archive \(a header fails its checksum\)/);
  });

  it('refuses a truncated archive: the gzip stream cut, or the tar inside cut in a member', async () => {
    const whole = crafted([{ name: 'app.js', data: 'console.log(1);\n'.repeat(2000) }, { name: 'more.js', data: 'y' }]);
    const cut = await refusal(whole.subarray(0, Math.floor(whole.length / 2)));
    expect(cut.message).toMatch(/unexpected end of file|cut short/);
    const inner = gzipSync(gunzipSync(whole).subarray(0, 512 + 4096));
    const short = await refusal(inner);
    expect(short.message).toMatch(/the archive is cut short \(it ends inside a member\)/);
  });

  it('refuses an archive with no entries (GNU tar of nothing)', async () => {
    const empty = execFileSync('tar', ['-czf', '-', '-T', '/dev/null']);
    const refused = await refusal(empty);
    expect(refused.entry).toBeNull();
    expect(refused.message).toMatch(/holds no files/);
  });
});

// Parser differentials: archives GNU tar 1.34 (the `tar -xzf - --no-same-owner` run in the app's
// container, see release-deployer.ts unpack()) reads differently from TarReader. Each test first
// shows what GNU tar lists, then expects the check to refuse what it hides.
describe('members that GNU tar unpacks but the check must not miss', () => {
  it('refuses a member hidden in the data of a hard link (GNU tar reads no data after a hard link)', async () => {
    const archive = crafted([
      { name: 'target', data: 'hi' },
      { name: 'h', type: 'hardlink', linkname: 'target', smuggle: [{ name: 'esc', type: 'symlink', linkname: '/etc' }] },
    ]);
    expect(gnuList(archive)).toMatch(/ esc -> \/etc$/m);
    // A hard link declaring data is refused outright: skipping it (as this check once did) hid `esc`.
    await refusedNaming(archive, 'h', /declares 512 bytes of data, which a hardlink cannot have/);
  });

  it('refuses members hidden in the data of a directory (GNU tar reads no data after a directory)', async () => {
    const archive = crafted([{ name: 'd', type: 'dir', smuggle: [{ name: 'esc', type: 'symlink', linkname: '/etc' }, { name: 'big', zeros: 30 * MB }] }]);
    const listing = gnuList(archive);
    expect(listing).toMatch(/ esc -> \/etc$/m);
    expect(listing).toMatch(/ 31457280 .* big$/m);
    // GNU tar would unpack a link to /etc and a 30 MB file past the 10 MB limit: the directory that
    // declares data is refused before any of it is read.
    await refusedNaming(archive, 'd/', /which a directory cannot have/, { entriesMax: 200_000 });
  });

  it('refuses a link renamed by a pax size record applied to a GNU long-name record', async () => {
    // GNU tar reads the L record by its own size (2 blocks: "fake", then the decoy header) and gives
    // the pax size only to the member; TarReader reads the L record by the pax size (1 block) and
    // so takes the decoy header for the member, and the real member (a link to /etc) for its data.
    const archive = crafted([
      { type: 'pax', records: { size: '1' } },
      { type: 'longname', data: 'fake', size: 1024 },
      { name: 'decoy', format: 'ustar', data: '' },
      { name: 'esc', format: 'ustar', type: 'symlink', linkname: '/etc' },
      { type: 'blank', blocks: 1 },
    ]);
    expect(gnuList(archive)).toMatch(/ fake -> \/etc$/m);
    // Read as GNU tar reads it (the L record by its own size), the link named `fake` carries the
    // pax size as data, which a link cannot have.
    await refusedNaming(archive, 'fake', /which a symlink cannot have/);
  });

  it('refuses a link whose pax path comes before a GNU long name (GNU tar: pax wins whatever the order)', async () => {
    const archive = crafted([
      { type: 'pax', records: { path: 'up' } },
      { type: 'longname', data: 'deep/deeper/up' },
      { name: 'deep/deeper/up', format: 'ustar', type: 'symlink', linkname: '../../x' },
    ]);
    expect(gnuList(archive)).toMatch(/ up -> \.\.\/\.\.\/x$/m);
    // Two names for one member that disagree: refused rather than guessed at.
    await refusedNaming(archive, 'up', /has two names that disagree/);
  });

  it('refuses a link renamed by a pax GNU.sparse.name record', async () => {
    const archive = crafted([{ name: 'deep/deeper/l', type: 'symlink', linkname: '../../x', pax: { 'GNU.sparse.name': 'l' } }]);
    expect(gnuList(archive)).toMatch(/ l -> \.\.\/\.\.\/x$/m);
    // GNU tar takes GNU.sparse.name as the member's name (over `path`): any GNU.sparse record is refused.
    expect((await refusal(archive)).message).toMatch(/GNU\.sparse\.name/);
  });

  it('refuses a pax linkpath with a NUL (GNU tar ends the value there)', async () => {
    const archive = crafted([
      { name: 'd', type: 'dir' },
      { name: 'd/up', type: 'symlink', linkname: 'x', pax: { linkpath: '../..\0' } },
    ]);
    expect(gnuList(archive)).toMatch(/ d\/up -> \.\.\/\.\.$/m);
    // Kept whole, the value would resolve as a name one level down; GNU tar makes d/up -> ../..
    // (outside). A pax value holding a NUL is refused.
    expect((await refusal(archive)).message).toMatch(/holds a NUL/);
  });
});

describe('manifests and the members a deploy unpacks', () => {
  const long = `${'d'.repeat(80)}/${'e'.repeat(80)}/file.txt`;
  const dirTree = () => tree({ 'same.txt': 'same', 'changed.txt': 'before', 'gone.txt': 'gone', [long]: 'long', 'tool.sh': { text: 'echo', mode: 0o644 } });

  it('tells what changed between two archives: contents, modes, links; a hard link is always unpacked again', async () => {
    const before = (await check(gnuTar(dirTree()))).manifest;
    const next = tree({ 'same.txt': 'same', 'changed.txt': 'after', 'new.txt': 'new', [long]: 'long', 'tool.sh': { text: 'echo', mode: 0o755 } });
    const after = (await check(gnuTar(next))).manifest;
    const change = treeChange(before, after);
    expect([...change.unpack].filter((p) => after.entries[p].type !== 'directory').sort()).toEqual(['changed.txt', 'new.txt', 'tool.sh']);
    expect(change.remove.sort()).toEqual(['changed.txt', 'gone.txt', 'tool.sh']);
    expect(change.unchanged).toBe(2);
    execFileSync('ln', [join(next, 'same.txt'), join(next, 'hard.txt')]);
    const linked = (await check(gnuTar(next))).manifest;
    const again = treeChange(linked, linked);
    expect([...again.unpack].filter((p) => linked.entries[p].type !== 'directory')).toEqual([expect.stringMatching(/^(hard|same)\.txt$/)]);
  });

  for (const format of ['pax', 'gnu', 'ustar'] as const) {
    it(`leaves out the members not asked for, with their long-name records (${format})`, async () => {
      const members = format === 'ustar' ? ['./same.txt', './changed.txt'] : ['.'];
      const archive = gnuTar(dirTree(), members, [`--format=${format}`]);
      const keep = format === 'ustar' ? ['changed.txt'] : [long, 'changed.txt', ''];
      const out = new TarOwner(1000, 1000, 'app', (p) => keep.includes(p) || (p !== '' && long.startsWith(`${p}/`)));
      const filtered = Buffer.concat(await Readable.from([gunzipSync(archive)]).pipe(out).toArray());
      const listed = execFileSync('tar', ['-tvf', '-'], { input: filtered }).toString();
      expect(listed).toContain('changed.txt');
      expect(listed).not.toMatch(/same\.txt|gone\.txt|tool\.sh/);
      if (format !== 'ustar') expect(listed).toContain(long);
      expect(listed.split('\n').filter(Boolean).every((l) => l.includes('app/app'))).toBe(true);
      // What is left is still a checked, whole archive.
      expect((await check(gzipSync(filtered))).files).toBe(format === 'ustar' ? 1 : 2);
    });
  }
});
