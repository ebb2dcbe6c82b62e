// The load of `bench:ssh-handshakes`, in a process of its own so that its own crypto does
// not run on the event loop that measures the API's latency: `CONCURRENCY` ssh2 clients
// at a time, spread over loopback source addresses, each completing a key exchange,
// sending `none` authentication requests until the gateway closes the connection (or
// NONES were sent), then starting over. Stops by itself after DURATION_MS or
// MAX_CONNECTIONS connections, and prints a JSON summary on stdout.
//
//   PORT=... DURATION_MS=12000 CONCURRENCY=32 [KEX=...] node bench/ssh/handshake-flood.mjs
import ssh2 from 'ssh2';

const port = Number(process.env.PORT);
const durationMs = Number(process.env.DURATION_MS ?? 12_000);
const concurrency = Number(process.env.CONCURRENCY ?? 32);
const maxConnections = Number(process.env.MAX_CONNECTIONS ?? 50_000);
// Loopback addresses: all of 127.0.0.0/8 reaches this machine's own gateway, nothing else.
// Sixteen of them by default: a connection per address stays under SSH_UNAUTHENTICATED_PER_IP.
const addresses = process.env.ADDRESSES ? process.env.ADDRESSES.split(',') : Array.from({ length: 16 }, (_, i) => `127.0.0.${i + 1}`);
// Key exchanges the clients offer (comma-separated); empty: ssh2's defaults (curve25519 first).
const kex = process.env.KEX ? process.env.KEX.split(',') : undefined;
const NONES = 20;
if (!port) throw new Error('PORT is required');

const counts = { connections: 0, handshakes: 0, refused: 0, authRequests: 0 };
const until = Date.now() + durationMs;
// If the parent goes away, so does the flood.
process.on('disconnect', () => process.exit(0));
setTimeout(() => process.exit(3), durationMs + 15_000).unref();

/** One connection: key exchange, then `none` requests; resolves when it is closed. */
function one(localAddress) {
  counts.connections += 1;
  return new Promise((resolve) => {
    const client = new ssh2.Client();
    let shook = false;
    let sent = 0;
    client.on('handshake', () => {
      shook = true;
      counts.handshakes += 1;
    });
    // Without Nagle's delay each request/answer round trip waits for a delayed ACK (40 ms).
    client.on('connect', () => client.setNoDelay(true));
    client.on('error', () => undefined);
    client.on('close', () => {
      if (!shook) counts.refused += 1;
      resolve();
    });
    client.connect({
      host: '127.0.0.1',
      port,
      localAddress,
      username: 'app',
      readyTimeout: 10_000,
      ...(kex ? { algorithms: { kex } } : {}),
      // The host key is not what is measured: any is accepted.
      hostVerifier: () => true,
      authHandler: (_left, _partial, next) => {
        if (sent === NONES) return next(false);
        sent += 1;
        counts.authRequests += 1;
        next({ type: 'none', username: 'app' });
      },
    });
  });
}

async function worker(i) {
  const localAddress = addresses[i % addresses.length];
  while (Date.now() < until && counts.connections < maxConnections) await one(localAddress);
}

console.error(`flood: ${concurrency} at a time from ${addresses.length} loopback addresses to port ${port} for ${durationMs / 1000} s, key exchange ${kex ?? 'ssh2 default'}`);
const started = Date.now();
await Promise.all(Array.from({ length: concurrency }, (_, i) => worker(i)));
const seconds = (Date.now() - started) / 1000;
console.log(JSON.stringify({ ...counts, seconds, handshakesPerSecond: Math.round(counts.handshakes / seconds) }));
process.exit(0);
