// One thread of bench/logs' followers: opens its share of the SSE follows of the app's log and,
// for each `seq <run>-<n> <printed ms>` line of the run, records the delivery latency (receipt
// minus the time the program printed it, one clock) and which lines came. Reports when told to stop.
import { parentPort, workerData } from 'node:worker_threads';

const { url, token, count, run, lines } = workerData;
const latencies = new Float64Array(count * lines);
let recorded = 0;
const seen = Array.from({ length: count }, () => new Uint8Array(lines));
let dropped = 0;
let opened = 0;
const aborts = [];

async function follow(index) {
  const abort = new AbortController();
  aborts.push(abort);
  const response = await fetch(url, { headers: { authorization: `Token ${token}`, accept: 'text/event-stream' }, signal: abort.signal });
  if (response.status !== 200) throw new Error(`follow ${index}: ${response.status} ${await response.text()}`);
  opened++;
  if (opened === count) parentPort.postMessage({ type: 'open' });
  const decoder = new TextDecoder();
  let buffer = '';
  const prefix = `"message":"seq ${run}-`;
  try {
    for await (const chunk of response.body) {
      const now = Date.now();
      buffer += decoder.decode(chunk, { stream: true });
      let end;
      while ((end = buffer.indexOf('\n\n')) !== -1) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (frame.includes('event: dropped')) dropped++;
        const at = frame.indexOf(prefix);
        if (at < 0) continue;
        const rest = frame.slice(at + prefix.length, frame.indexOf('"', at + prefix.length));
        const [n, printed] = rest.split(' ').map(Number);
        if (n < lines && !seen[index][n]) {
          seen[index][n] = 1;
          latencies[recorded++] = now - printed;
        }
      }
    }
  } catch {
    // Aborted at the end of the run.
  }
}

for (let i = 0; i < count; i++) follow(i).catch((err) => parentPort.postMessage({ type: 'error', message: err.message }));

parentPort.on('message', (message) => {
  if (message !== 'stop') return;
  for (const abort of aborts) abort.abort();
  const received = seen.map((s) => s.reduce((a, b) => a + b, 0));
  parentPort.postMessage({ type: 'result', latencies: latencies.slice(0, recorded), received, dropped });
});
