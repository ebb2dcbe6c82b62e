// Issue 11, item 1: a fresh machine installs exactly what was tested. A lock that disagrees with
// package.json fails the install with one line that says so and names the fix; the project's
// own lock agrees with its package.json.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from './support/server.js';

const run = promisify(execFile);
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function project(dependencies: Record<string, string>, locked: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'berth-lock-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'locktest', version: '1.0.0', dependencies }));
  writeFileSync(join(dir, 'package-lock.json'), JSON.stringify({ name: 'locktest', version: '1.0.0', lockfileVersion: 3, requires: true, packages: { '': { name: 'locktest', version: '1.0.0', ...locked } } }));
  return dir;
}

const install = (dir: string) => run('sh', [join(ROOT, 'scripts/npm-install-locked.sh')], { cwd: dir, env: { ...process.env, npm_config_cache: join(dir, '.npm') } });

describe('installing from the lock', () => {
  it('fails with one clear line when package.json and the lock disagree', async () => {
    const failed = await install(project({ 'left-pad': '1.3.0' }, {})).then(
      () => null,
      (err: { code: number; stderr: string }) => err,
    );
    expect(failed?.code).toBe(1);
    expect(failed!.stderr).toMatch(/^npm-install-locked: error: package-lock\.json and package\.json disagree \(Missing: left-pad@1\.3\.0 from lock file\); run 'npm install --package-lock-only'/m);
  });

  it('installs when they agree', async () => {
    await expect(install(project({}, {}))).resolves.toBeDefined();
  });

  it("agrees with the project's own package.json", async () => {
    // What `npm ci` checks first, without installing anything.
    const { stdout } = await run('npm', ['ci', '--dry-run', '--no-audit', '--no-fund', '--ignore-scripts'], { cwd: ROOT });
    expect(stdout).not.toMatch(/in sync/);
  });
});
