// Attack catalogue: keep a worker busy compressing zeros. A snapshot release (`{"from": "srv"}`)
// archives /srv/app and compresses it on the worker, bounded only by the compressed size: a sparse
// file of a terabyte takes no room on the plan's disk and compresses to a thousandth, so the worker
// spent minutes of CPU per snapshot, and every later deploy read the whole of it again to compare.
// Now the tar is bounded too, by what an uploaded archive may unpack to. Against a real Berth (API
// and worker), Docker and PostgreSQL.
// Reference: OWASP API Security Top 10 2023, API4:2023 Unrestricted Resource Consumption; CWE-409.
import { describe, expect, it } from 'vitest';
import { docker } from '../support/docker.js';
import { useBerth } from '../support/fixture.js';
import { register, waitForOperation } from '../support/http.js';

// A small bound, to cross it with a file of 200 MB: the same as with the default 1 GB and a larger one.
const fx = useBerth('snapbound', { BERTH_ROLES: 'api,worker', RELEASE_UNPACKED_MAX: '50mb', RELEASE_ENTRIES_MAX: '1000', JOB_BACKOFF_MS: '200' });

describe('a snapshot of /srv/app holding a sparse file', () => {
  it('fails once its tar passes what a release may unpack to, and stores nothing', async () => {
    const owner = await register(fx.api, 'Zero Packer');
    const plan = (await fx.api.get(`/${owner.company.id}/plans/`, { token: owner.token })).body[0].id;
    const created = await fx.api.post(`/${owner.company.id}/apps/`, { token: owner.token, body: { name: 'sparse', image: 'berth/runtime:2026.11-1', plan } });
    expect((await waitForOperation(fx.api, owner.token, owner.company.id, created.body.operation_id, 120_000)).status).toBe('success');
    const appId = created.body.id;
    // As the tenant, over SSH: 200 MB that take no room.
    await docker('exec', '-u', 'app', `${fx.env.DOCKER_NAME_PREFIX}-app-${appId}`, 'truncate', '-s', '200M', '/srv/app/sparse.bin');

    const snap = await fx.api.post(`/${owner.company.id}/apps/${appId}/releases/`, { token: owner.token, body: { from: 'srv' } });
    expect(snap.status, snap.text).toBe(200);
    const op = await waitForOperation(fx.api, owner.token, owner.company.id, snap.body.operation_id, 120_000);
    const release = (await fx.api.get(`/${owner.company.id}/apps/${appId}/releases/${snap.body.version}/`, { token: owner.token })).body;
    expect([op.status, release.status]).toEqual(['error', 'failed']);
    expect(release.message).toMatch(/^\/srv\/app archives to more than \d+ bytes of tar, past what a release may unpack to \(RELEASE_UNPACKED_MAX, or the plan's disk\)$/);
    const kept = await fx.db.query('SELECT count(*)::int AS n FROM release_archives WHERE app_id = $1', [appId]);
    expect(kept.rows[0].n).toBe(0);
  }, 180_000);
});
