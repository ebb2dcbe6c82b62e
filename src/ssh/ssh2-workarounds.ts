import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Connection, PublicKeyAuthContext } from 'ssh2';

/*
 * Two bugs of ssh2 1.17's server side kept RSA keys of golang.org/x/crypto/ssh
 * clients (Rosti's CLI) out, and hid rsa-sha2-512 from every client:
 *
 * 1. A key offered without a signature, to ask whether it would do, under
 *    rsa-sha2-256 or rsa-sha2-512 is answered with USERAUTH_PK_OK naming
 *    `ssh-rsa`, the key's type, where RFC 4252 §7 wants the algorithm the client
 *    named. x/crypto (confirmKeyAck) takes that mismatch for "key refused".
 *    https://github.com/mscdex/ssh2/issues/1380
 * 2. The server-sig-algs extension of EXT_INFO lacks a comma, so clients read
 *    `ecdsa-sha2-nistp521rsa-sha2-512` and see neither; OpenSSH limited to
 *    rsa-sha2-512 then finds no algorithm to sign with.
 *    https://github.com/mscdex/ssh2/pull/1485
 *
 * Neither fix is released, and npm 11 skips install scripts, so node_modules is
 * not patched: the gateway works around both at run time. This leans on ssh2's
 * internals, so verifySsh2Workarounds() checks at start-up that ssh2 still has
 * exactly the code worked around, and stops the gateway if it changed: an
 * upgrade must look at these issues again rather than silently break RSA logins.
 */

const require = createRequire(import.meta.url);

/** The parts of ssh2's internal Protocol object (`client._protocol`) used here. */
interface Ssh2Protocol {
  _onHandshakeComplete: (...args: unknown[]) => void;
  _kex: { remoteExtInfoEnabled: boolean };
  _packetRW: { write: { allocStart: number; alloc(size: number): Buffer; finalize(packet: Buffer): Buffer } };
  _debug?: (message: string) => void;
}

// Internal helpers of ssh2, the ones its own sendExtInfo uses.
const { MESSAGE } = require('ssh2/lib/protocol/constants.js') as { MESSAGE: Record<string, number> };
const { sendPacket } = require('ssh2/lib/protocol/utils.js') as { sendPacket: (proto: Ssh2Protocol, packet: Buffer) => boolean };

/** ssh2 code the workarounds depend on, as ssh2 1.17.0 has it (compared with whitespace collapsed). */
const EXPECTED: Array<{ file: string; code: string; why: string }> = [
  {
    file: 'lib/server.js',
    code: `accept() { if (!this.signature) { this._initialResponse = true; this._protocol.authPKOK(this.key.algo, this.key.data); }`,
    why: 'a key query is answered with ctx.key.algo (mscdex/ssh2#1380)',
  },
  {
    file: 'lib/protocol/handlers.misc.js',
    code: `case 'rsa-sha2-256': realKeyAlgo = 'ssh-rsa'; hashAlgo = 'sha256'; break; case 'rsa-sha2-512': realKeyAlgo = 'ssh-rsa'; hashAlgo = 'sha512'; break;`,
    why: 'rsa-sha2-* requests reach the gateway as key type ssh-rsa with a hashAlgo',
  },
  {
    file: 'lib/protocol/Protocol.js',
    code: `function sendExtInfo(proto) { let serverSigAlgs = 'ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521' + 'rsa-sha2-512,rsa-sha2-256,ssh-rsa,ssh-dss';`,
    why: 'server-sig-algs is malformed (mscdex/ssh2#1485)',
  },
  {
    file: 'lib/protocol/Protocol.js',
    code: `if (firstHandshake && this._server && this._kex.remoteExtInfoEnabled) sendExtInfo(this); onHandshakeComplete(...args); };`,
    why: 'EXT_INFO is sent from _onHandshakeComplete when _kex.remoteExtInfoEnabled',
  },
  {
    file: 'lib/protocol/kex.js',
    code: `this._protocol._onHandshakeComplete(negotiated);`,
    why: 'the key exchange calls _onHandshakeComplete through the property, so it can be wrapped',
  },
  {
    file: 'lib/server.js',
    code: `const proto = this._protocol = new Protocol({`,
    why: 'a connection keeps its Protocol in _protocol',
  },
];

const collapse = (code: string) => code.replace(/\s+/g, ' ');

/**
 * Throws unless ssh2 has exactly the code these workarounds were written for.
 * Called once when the gateway starts, before it listens.
 */
export function verifySsh2Workarounds(): void {
  const sources = new Map<string, string>();
  const source = (file: string) => {
    if (!sources.has(file)) sources.set(file, collapse(readFileSync(require.resolve(`ssh2/${file}`), 'utf8')));
    return sources.get(file)!;
  };
  const changed = EXPECTED.filter((e) => !source(e.file).includes(collapse(e.code)));
  const { version } = require('ssh2/package.json') as { version: string };
  if (changed.length > 0 || typeof sendPacket !== 'function' || MESSAGE?.EXT_INFO !== 7) {
    const what = changed.map((e) => `${e.file}: ${e.why}`).join('; ') || 'its protocol helpers';
    throw new Error(
      `ssh2 ${version} is not the code src/ssh/ssh2-workarounds.ts patches (${what}). ` +
        'Check whether mscdex/ssh2#1380 and #1485 are fixed in this version, then adapt or drop the workarounds.',
    );
  }
}

/**
 * Accepts a public key offered without a signature, answering USERAUTH_PK_OK
 * with the algorithm the client named (bug 1 above).
 */
export function acceptKeyQuery(ctx: PublicKeyAuthContext): void {
  // ssh2 turned rsa-sha2-256/512 into type ssh-rsa plus hashAlgo; its accept() sends key.algo back.
  if (ctx.key.algo === 'ssh-rsa' && (ctx.hashAlgo === 'sha256' || ctx.hashAlgo === 'sha512')) {
    ctx.key.algo = `rsa-sha2-${ctx.hashAlgo.slice(3)}`;
  }
  ctx.accept();
}

/**
 * Makes the connection's EXT_INFO announce `algorithms` as server-sig-algs, in
 * place of ssh2's malformed list (bug 2 above). ssh2's list, even mended, names
 * ssh-rsa and ssh-dss, SHA-1 signatures the gateway refuses: clients are better
 * told only what will be accepted. Call it from the 'connection' event: ssh2
 * emits it after the version exchange, before the key exchange ends.
 */
export function announceSignatureAlgorithms(client: Connection, algorithms: readonly string[]): void {
  const proto = (client as unknown as { _protocol: Ssh2Protocol })._protocol;
  const complete = proto._onHandshakeComplete;
  let first = true;
  proto._onHandshakeComplete = (...args) => {
    if (!first) return complete(...args);
    first = false;
    // Only a client that asked for extensions (ext-info-c in its KEXINIT) gets EXT_INFO.
    const wanted = proto._kex.remoteExtInfoEnabled;
    // RFC 8308 §2.4: the next packet after the server's first NEWKEYS. ssh2 then skips its own.
    if (wanted) sendExtInfo(proto, algorithms.join(','));
    proto._kex.remoteExtInfoEnabled = false;
    try {
      complete(...args);
    } finally {
      proto._kex.remoteExtInfoEnabled = wanted;
    }
  };
}

/** SSH_MSG_EXT_INFO with the one extension server-sig-algs, built as ssh2's own sendExtInfo does. */
function sendExtInfo(proto: Ssh2Protocol, serverSigAlgs: string): void {
  const name = Buffer.from('server-sig-algs');
  const value = Buffer.from(serverSigAlgs);
  const writer = proto._packetRW.write;
  let p = writer.allocStart;
  const packet = writer.alloc(1 + 4 + 4 + name.length + 4 + value.length);
  packet[p++] = MESSAGE.EXT_INFO;
  p = packet.writeUInt32BE(1, p);
  p = packet.writeUInt32BE(name.length, p);
  p += name.copy(packet, p);
  p = packet.writeUInt32BE(value.length, p);
  value.copy(packet, p);
  proto._debug?.('Outbound: Sending EXT_INFO (Berth: server-sig-algs)');
  sendPacket(proto, writer.finalize(packet));
}
