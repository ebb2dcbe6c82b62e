// A redis-server of the test's own, on a free port, so it can be stopped without disturbing the
// other test files (which share the machine's Redis).
import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';

export async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  return port;
}

export async function startRedis(port: number): Promise<ChildProcess> {
  const redis = spawn('redis-server', ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  for (let i = 0; i < 50; i++) {
    const probe = await fetch(`http://127.0.0.1:${port}`).catch((e) => e);
    // Redis answers HTTP with a protocol error; a refused connection means not yet.
    if (!String(probe?.cause?.code ?? '').includes('ECONNREFUSED')) return redis;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('redis did not start');
}

export async function stopRedis(redis: ChildProcess): Promise<void> {
  if (redis.exitCode !== null || redis.signalCode !== null) return;
  redis.kill('SIGKILL');
  await once(redis, 'exit');
}
