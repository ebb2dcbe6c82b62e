// The gateway's host key. ssh2 makes an ed25519 pair it cannot read back about once in 256
// (mscdex/ssh2#1390): an installation that stored such a key could never open an SSH endpoint
// ("cannot listen: Cannot parse privateKey: Malformed OpenSSH private key"). Berth makes only
// pairs it can read, and replaces a stored one it cannot.
import ssh2 from 'ssh2';
import { describe, expect, it } from 'vitest';
import { createApp } from './support/apps.js';
import { useBerth } from './support/fixture.js';
import { register } from './support/http.js';
import { startBerth } from './support/server.js';
import { SshUser } from './support/ssh.js';

const fx = useBerth('ssh_host_key', { BERTH_ROLES: 'api,worker' });
const user = new SshUser();
const key = user.key('host-key');

/** A pair from ssh2's generator that ssh2 cannot read, as one installation in 256 got. */
function malformedPair(): { private: string; public: string } {
  for (;;) {
    const pair = ssh2.utils.generateKeyPairSync('ed25519', { comment: 'berth gateway' });
    if (ssh2.utils.parseKey(pair.private) instanceof Error) return pair;
  }
}

describe('the SSH gateway host key', () => {
  it('replaces a stored key ssh2 cannot read, and the gateway serves SSH with the new one', async () => {
    const bad = malformedPair();
    await fx.db.query('DELETE FROM ssh_host_keys');
    await fx.db.query(`INSERT INTO ssh_host_keys (algorithm, private_key, public_key) VALUES ('ssh-ed25519', $1, $2)`, [bad.private, bad.public.trim()]);
    const gateway = await startBerth({ ...fx.env, BERTH_ROLES: 'ssh', MIGRATIONS_RUN: 'false' });
    try {
      const owner = await register(fx.api, 'Host Key');
      // Logs in over SSH through the gateway, trusting the key the API shows.
      await createApp(fx.api, owner, user, key, { name: 'hostkey' });
      const stored = (await fx.db.query<{ private_key: string; public_key: string }>('SELECT private_key, public_key FROM ssh_host_keys')).rows;
      expect(stored).toHaveLength(1);
      expect(stored[0].public_key).not.toBe(bad.public.trim());
      expect(ssh2.utils.parseKey(stored[0].private_key)).not.toBeInstanceOf(Error);
      const shown = (await fx.api.get('/ssh-host-keys/', { token: owner.token })).body;
      expect(shown).toEqual([expect.objectContaining({ algorithm: 'ssh-ed25519', public_key: stored[0].public_key })]);
    } finally {
      await gateway.stop();
    }
  }, 180_000);
});
