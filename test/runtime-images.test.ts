// The runtime images apps run on (docker/runtimes/, built by scripts/build-runtimes.sh),
// started the way Berth will start them: hardened, limited, with a fresh /srv volume.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { adminQuery } from './support/services.js';
import { createTestDatabase } from './support/services.js';

const run = promisify(execFile);
const docker = async (...args: string[]) => (await run('docker', args, { timeout: 60_000 })).stdout.trim();
const created: string[][] = [];

afterAll(async () => {
  for (const [container, volume] of created) {
    await docker('rm', '-f', container).catch(() => undefined);
    await docker('volume', 'rm', '-f', volume).catch(() => undefined);
  }
});

/** The tags the catalog offers, read from a freshly migrated database: the images must match the catalog. */
async function catalogImages(): Promise<string[]> {
  const db = await createTestDatabase('runtimes');
  try {
    await run(process.execPath, ['dist/src/cli/berth.js', 'migrate'], { env: { PATH: process.env.PATH ?? '', DATABASE_URL: db.url } });
    const { rows } = await adminQuery<{ image: string }>('SELECT image FROM runtimes ORDER BY id', [], db.url);
    return rows.map((r) => r.image);
  } finally {
    await db.drop();
  }
}

async function firstOk(url: string, ms = 30_000): Promise<string> {
  const until = Date.now() + ms;
  for (;;) {
    const answer = await fetch(url).catch(() => undefined);
    if (answer?.status === 200) return answer.text();
    if (Date.now() > until) throw new Error(`${url} gave no 200 within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const images = await catalogImages();

describe.each(images)('runtime image %s', (image) => {
  it('runs hardened and limited as user app, with its default app answering on the published port', async () => {
    const name = `berth-test-${randomBytes(4).toString('hex')}`;
    created.push([name, name]);
    await docker('run', '-d', '--name', name, '-p', '127.0.0.1::8080', '-m', '128m', '--cpus', '0.25', '--pids-limit', '256',
      '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges', '-v', `${name}:/srv`, image);
    const port = (await docker('port', name, '8080/tcp')).split(':').pop();
    expect(await firstOk(`http://127.0.0.1:${port}/`)).toBeTruthy();

    const inspect = JSON.parse(await docker('inspect', name))[0];
    expect(inspect.HostConfig.Memory).toBe(128 * 1024 * 1024);
    expect(inspect.HostConfig.Privileged).toBe(false);

    // supervisord is the main process and runs as app; /srv is app's own.
    expect(await docker('exec', name, 'ps', '-o', 'user=,comm=', '-p', '1')).toMatch(/^app\s+supervisord/);
    const facts = await docker('exec', '-u', 'app', name, 'bash', '-lc',
      'id -un; id -u; stat -c %U /srv /srv/app /srv/conf /srv/conf/supervisor.d /srv/log /srv/run /srv/bin /srv/var; ' +
      'for t in bash tar rsync curl git python3 /usr/lib/openssh/sftp-server; do command -v $t >/dev/null || echo missing $t; done; touch /srv/written');
    expect(facts.split('\n')).toEqual(['app', '1000', ...Array(8).fill('app')]);
  });

  it('starts a program dropped into /srv/conf/supervisor.d on reread and update', async () => {
    const [name] = created.at(-1)!;
    await docker('exec', '-u', 'app', name, 'bash', '-lc',
      `printf '[program:extra]\\ncommand=sleep 1000\\nautorestart=true\\n' > /srv/conf/supervisor.d/extra.conf && supervisorctl reread && supervisorctl update`);
    await new Promise((r) => setTimeout(r, 1500));
    expect(await docker('exec', '-u', 'app', name, 'supervisorctl', 'status', 'extra')).toMatch(/RUNNING/);
  });
});

it('offers at least two runtimes, and the default one carries Node.js', async () => {
  expect(images.length).toBeGreaterThanOrEqual(2);
  const name = `berth-test-${randomBytes(4).toString('hex')}`;
  created.push([name, name]);
  expect(await docker('run', '--rm', '--name', name, '--cap-drop', 'ALL', images[0], 'node', '--version')).toMatch(/^v\d+\./);
});
