// Baseline R: the ceiling for a trivial route on this machine. A bare node:http
// server answering a constant JSON body, with nothing else in the way.
// Started by run.mjs through child_process.fork(): reports its port over IPC and
// exits when the parent goes away (so a killed runner leaves nothing behind).
import http from 'node:http';

const body = JSON.stringify({ name: 'berth', version: '0.0.0-baseline' });

const server = http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
});

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  if (process.send) process.send({ ready: true, port });
  else console.log(`baseline R listening on http://127.0.0.1:${port}/`);
});

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  setTimeout(() => process.exit(0), 1000).unref();
  server.close(() => process.exit(0));
  server.closeAllConnections?.();
};
process.on('disconnect', stop);
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
