import { within } from '../common/within.js';
import type { ContainerDriver } from '../containers/container-driver.js';
import { collectTail, DEPLOY_DIR, LINK_RUNNING_TREE, PREPARE_DEPLOY, REMOVE_FROM_INCOMING } from './release-steps.js';
import { Manifest, ManifestBuilder } from './archive/tar-manifest.js';
import { TarReader } from './archive/tar-reader.js';
import { pipeline } from 'node:stream/promises';

const STEP_TIMEOUT_MS = 120_000;
// What PREPARE_DEPLOY prints is an archive's name; anything longer is no name the store gives.
const KNOWN_MAX = 256;

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

/** The deploy directory prepared, then the running tree being linked into it (prepareAndLink). */
export interface PreparedLinking {
  /** The archive /srv/app is known to be (empty when unknown), as soon as the preparing is done; rejects when it failed. */
  known: Promise<string>;
  /** The linking's problem, or null once `incoming` links the whole running tree; never rejects. */
  linked: Promise<string | null>;
}

/**
 * PREPARE_DEPLOY and LINK_RUNNING_TREE in one process in the container: an exec costs a few hundred
 * ms under a small plan's CPU, and the linking starts the moment the preparing ends. Which archive
 * /srv/app is comes out first, on a line of its own, so that the engine can start reading the
 * running tree while the container links it.
 */
export function prepareAndLink(driver: ContainerDriver, appId: number): PreparedLinking {
  const session = driver.exec(appId, ['sh', '-c', `set -e; mkdir -p ${DEPLOY_DIR}; ${PREPARE_DEPLOY}; echo; ${LINK_RUNNING_TREE}`]);
  const ended = session.then(async (s) => {
    const stderr = collectTail(s.stderr);
    s.stdin.end();
    let out = '';
    let line: string | null = null;
    let settle: (line: string | null) => void = () => undefined;
    const known = new Promise<string | null>((resolve) => (settle = resolve));
    s.stdout.on('data', (chunk: Buffer) => {
      if (line !== null) return;
      out += chunk.toString('latin1');
      const end = out.indexOf('\n');
      if (end !== -1) settle((line = out.slice(0, end)));
      else if (out.length > KNOWN_MAX) settle((line = ''));
    });
    s.stdout.on('end', () => settle(line));
    s.stdout.on('close', () => settle(line));
    const exit = within(s.exit, STEP_TIMEOUT_MS, 'preparing the deploy directory and linking the running tree').finally(() => s.socket.destroy());
    // An exit (or no exit in time) settles it too: an output that neither ends nor closes must not hold the deploy.
    exit.then(
      () => settle(line),
      () => settle(line),
    );
    return { known, exit, stderr };
  });
  const known = ended.then(async ({ known: first, exit, stderr }) => {
    const line = await first;
    // No line: the preparing itself failed (set -e), before anything was linked.
    if (line === null) throw new Error((await problem('preparing the deploy directory', exit, stderr)) ?? 'preparing the deploy directory printed nothing');
    return line.length > KNOWN_MAX ? '' : line.trim();
  });
  const linked = ended.then(
    ({ exit, stderr }) => problem('linking the running tree', exit, stderr).catch((err: Error) => err.message),
    (err: Error) => err.message,
  );
  return { known, linked };
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
  return problem(what, within(session.exit, STEP_TIMEOUT_MS, what), output);
}

/** A step's problem once it has exited: null for 0, else what it printed last. */
async function problem(what: string, exit: Promise<number | null>, stderr: Promise<string>): Promise<string | null> {
  const code = await exit;
  return code === 0 ? null : `${what} failed (exit ${code}): ${(await stderr).trim().slice(-300)}`;
}
