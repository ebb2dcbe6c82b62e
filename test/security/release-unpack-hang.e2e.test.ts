// Attack catalogue: hold a worker's job slots for ever with a few kilobytes. tar stops reading an
// archive at its end-of-archive marker and exits; the zeros an archive carries after it (16 MB of
// them gzip to 16 kB) were still being fed to its stdin, which nobody read any more, and the deploy
// waited for that feeding before it looked at tar's exit: for ever, with no timeout. Each such deploy
// held one of the worker's four app job slots, and the app's later operations, for as long as the
// worker ran; here a tenant tries with four apps at once. (With less padding, the feeding failed instead, "Premature
// close", and the deploy was retried after a back-off: the 5 s stalls the deploy bench saw.) Against
// a real Berth (API and worker), Docker and the runtime image.
// Reference: OWASP API Security Top 10 2023, API4:2023 Unrestricted Resource Consumption; CWE-400.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { useBerth } from '../support/fixture.js';
import { register, waitForOperation } from '../support/http.js';

const fx = useBerth('unpackhang', { BERTH_ROLES: 'api,worker', JOB_BACKOFF_MS: '200', RELEASE_HEALTH_TIMEOUT_MS: '20000' });
const work = mkdtempSync(join(tmpdir(), 'berth-unpackhang-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

// As many apps as the worker runs app jobs at once (src/provisioning/app.processor.ts).
const SLOTS = 4;

/** A valid release (a server answering `label`) followed by 16 MB of zeros past its end. */
function paddedArchive(label: string): Buffer {
  writeFileSync(join(work, 'server.js'), `require('node:http').createServer((q, s) => s.end('${label}')).listen(process.env.PORT);\n`);
  return gzipSync(Buffer.concat([execFileSync('tar', ['-cf', '-', '-C', work, 'server.js']), Buffer.alloc(16 * 1024 ** 2)]));
}

describe('archives padded with zeros past their end', () => {
  it('deploy, and never keep the worker from other tenants', async () => {
    const attacker = await register(fx.api, 'Zero Padder');
    const plan = (await fx.api.get(`/${attacker.company.id}/plans/`, { token: attacker.token })).body[0].id;
    const apps = await Promise.all(
      Array.from({ length: SLOTS }, async (_, i) => {
        const created = await fx.api.post(`/${attacker.company.id}/apps/`, { token: attacker.token, body: { name: `pad${i}`, image: 'berth/runtime:2026.11-1', plan } });
        expect(created.status, created.text).toBe(200);
        expect((await waitForOperation(fx.api, attacker.token, attacker.company.id, created.body.operation_id, 180_000)).status).toBe('success');
        return created.body.id as number;
      }),
    );
    const body = paddedArchive('padded');
    expect(body.length).toBeLessThan(64 * 1024);
    const deploys = await Promise.all(
      apps.map(async (appId) => {
        const answer = await fetch(`${fx.berth.url}/${attacker.company.id}/apps/${appId}/releases/`, {
          method: 'POST',
          headers: { authorization: `Token ${attacker.token}`, 'content-type': 'application/gzip' },
          body: new Uint8Array(body),
        });
        const created = await answer.json();
        expect(answer.status, JSON.stringify(created)).toBe(200);
        return created as { operation_id: number; version: number };
      }),
    );

    // Another tenant's app is made meanwhile: the worker has a slot for it.
    const victim = await register(fx.api, 'Next Door');
    const made = await fx.api.post(`/${victim.company.id}/apps/`, { token: victim.token, body: { name: 'victim', image: 'berth/runtime:2026.11-1', plan } });
    expect(made.status, made.text).toBe(200);
    expect((await waitForOperation(fx.api, victim.token, victim.company.id, made.body.operation_id, 90_000)).status).toBe('success');

    // And the padded releases themselves deploy: the archive is whole, the padding is no fault.
    for (const [i, deploy] of deploys.entries()) {
      const op = await waitForOperation(fx.api, attacker.token, attacker.company.id, deploy.operation_id, 60_000);
      expect(op.status, op.message).toBe('success');
      const release = (await fx.api.get(`/${attacker.company.id}/apps/${apps[i]}/releases/${deploy.version}/`, { token: attacker.token })).body;
      expect(release.status).toBe('active');
    }
  }, 420_000);
});
