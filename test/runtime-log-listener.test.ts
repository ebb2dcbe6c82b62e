// The runtime's log listener (docker/runtimes/runtime-base/berth-log) restarted while a program
// prints, as `supervisorctl restart all` does: every line reaches the container's output once, in
// order, its pieces joined. Killed halfway through an event, supervisord gives that event again to
// the next listener (its lines twice), and the start of a line the listener held is lost.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';

const run = promisify(execFile);
const docker = async (...args: string[]) => (await run('docker', args, { timeout: 60_000, maxBuffer: 256 * 1024 * 1024 })).stdout;
const name = `berth-test-listener-${randomBytes(4).toString('hex')}`;
afterAll(async () => {
  await docker('rm', '-f', name).catch(() => undefined);
  await docker('volume', 'rm', '-f', name).catch(() => undefined);
});

const COUNT = 3000;
// Each line in two writes with a pause between, so that the listener mostly holds a line's start
// when it is stopped.
const COUNTER = `import sys, time
time.sleep(0.5)
for i in range(${COUNT}):
    sys.stdout.write(f"n {i} ")
    sys.stdout.flush()
    time.sleep(0.002)
    sys.stdout.write("${'p'.repeat(100)}\\n")
    sys.stdout.flush()
print("done", flush=True)
time.sleep(1e9)`;

/** The program's lines in the container's output: records tagged with its name, a piece ("c":1) joined with the next. */
async function printed(program: string): Promise<string[]> {
  const lines: string[] = [];
  let piece = '';
  for (const text of (await docker('logs', name)).split('\n')) {
    if (!text.startsWith('{"berth-log":1,')) continue;
    const record = JSON.parse(text) as { p: string; s: string; m: string; c?: number };
    if (record.p !== program || record.s !== 'stdout') continue;
    piece += record.m;
    if (record.c === 1) continue;
    lines.push(piece);
    piece = '';
  }
  return lines;
}

it('keeps every line of a program, once each and whole, while the listener is restarted under it', async () => {
  await docker('run', '-d', '--name', name, '-m', '256m', '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges', '-v', `${name}:/srv`, 'berth/runtime-python:2026.11-1');
  const conf = `[program:counter]\ncommand=/usr/bin/python3 -u /srv/app/counter.py\nautorestart=false\nstdout_logfile=/srv/log/counter.log\n`;
  await docker('exec', name, 'sh', '-c', `cat > /srv/app/counter.py <<'EOF'\n${COUNTER}\nEOF\ncat > /srv/conf/supervisor.d/counter.conf <<'EOF'\n${conf}EOF\nfor i in $(seq 50); do supervisorctl status >/dev/null 2>&1 && break; sleep 0.1; done; supervisorctl reread >/dev/null && supervisorctl update`);
  // Restarted again and again while the program prints.
  const restarts: string[] = [];
  for (let i = 0; i < 8; i++) {
    await new Promise((r) => setTimeout(r, 400));
    restarts.push(await docker('exec', name, 'supervisorctl', 'restart', 'berth-log'));
  }
  const end = Date.now() + 60_000;
  let lines = await printed('counter');
  while (lines.at(-1) !== 'done' && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 500));
    lines = await printed('counter');
  }
  expect(restarts.join('')).toMatch(/berth-log: started/);
  const numbers = lines.filter((l) => l !== 'done').map((l) => (/^n (\d+) p{100}$/.exec(l)?.[1] ?? `not whole: ${l.slice(0, 40)}`));
  const expected = Array.from({ length: COUNT }, (_, i) => String(i));
  // Short when it fails: the first difference, and how many lines came.
  const first = numbers.findIndex((n, i) => n !== expected[i]);
  expect({ count: numbers.length, first, around: first === -1 ? [] : numbers.slice(Math.max(0, first - 2), first + 3) }).toEqual({ count: COUNT, first: -1, around: [] });
  expect(lines.at(-1)).toBe('done');
}, 120_000);
