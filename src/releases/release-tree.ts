import { within } from '../common/within.js';
import type { ContainerDriver } from '../containers/container-driver.js';
import { collectTail, LINK_RUNNING_TREE, REMOVE_FROM_INCOMING } from './release-steps.js';
import { Manifest, ManifestBuilder } from './archive/tar-manifest.js';
import { TarReader } from './archive/tar-reader.js';
import { pipeline } from 'node:stream/promises';

const STEP_TIMEOUT_MS = 120_000;

/**
 * What /srv/app holds now, file by file (SHA-256 of each), read from the engine's archive of it:
 * the engine reads the files, not a process under the plan's CPU. Null when it cannot be read
 * whole, or holds more than `maxBytes` of files (unpacking the whole new archive is cheaper than
 * reading a tree much larger than it), or takes longer than a step may.
 */
export async function runningManifest(driver: ContainerDriver, appId: number, maxBytes: number): Promise<Manifest | null> {
  const builder = new ManifestBuilder();
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), STEP_TIMEOUT_MS);
  let bytes = 0;
  try {
    const archive = await driver.getArchive(appId, '/srv/app');
    // The engine names every member after the directory asked for: app, app/server.js, ...
    const reader = new TarReader(
      (entry) => builder.entry({ ...entry, name: entry.name.replace(/^app(\/|$)/, '') || '.' }),
      (chunk) => {
        bytes += chunk.length;
        if (bytes > maxBytes) abort.abort();
        builder.data(chunk);
      },
    );
    await pipeline(archive, reader, { signal: abort.signal });
  } catch {
    return null;
  } finally {
    clearTimeout(timer);
  }
  return builder.manifest();
}

/** `incoming` as links to the running tree's files; the problem, or null. */
export async function linkRunningTree(driver: ContainerDriver, appId: number): Promise<string | null> {
  return runScript(driver, appId, LINK_RUNNING_TREE, '', 'linking the running tree');
}

/** Removes `paths` (relative) from `incoming`: gone or changed in the new archive. The problem, or null. */
export async function removeFromIncoming(driver: ContainerDriver, appId: number, paths: string[]): Promise<string | null> {
  if (paths.length === 0) return null;
  return runScript(driver, appId, REMOVE_FROM_INCOMING, paths.map((p) => `${p}\0`).join(''), 'removing what changed from the linked tree');
}

async function runScript(driver: ContainerDriver, appId: number, script: string, input: string, what: string): Promise<string | null> {
  const session = await driver.exec(appId, ['sh', '-c', `set -e; ${script}`]);
  const output = collectTail(session.stderr);
  session.stdout.resume();
  session.stdin.end(input);
  const exitCode = await within(session.exit, STEP_TIMEOUT_MS, what);
  return exitCode === 0 ? null : `${what} failed (exit ${exitCode}): ${(await output).trim().slice(-300)}`;
}
