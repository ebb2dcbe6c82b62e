// Baseline Q: the ceiling for "one indexed PostgreSQL query per request" on this
// machine. A bare node:http server with a pg.Pool of BASELINE_POOL_SIZE (default 16,
// Berth's default DATABASE_POOL_SIZE) running exactly the query behind Berth's
// GET /api/v1/{company_id}/plans/ route:
//   SELECT id, name, ram, disk, cpu_quota, price FROM plans ORDER BY id
// (plans has a primary key on id; the seeded catalog holds five rows), and the
// same row shaping (price: numeric string -> Number), answered as JSON.
// Started by run.mjs through child_process.fork(): reports its port over IPC and
// exits when the parent goes away.
import http from 'node:http';
import pg from 'pg';

const connectionString = process.env.DATABASE_URL;
if (!connectionString) {
  console.error('baseline-q: DATABASE_URL is required');
  process.exit(2);
}
const pool = new pg.Pool({ connectionString, max: Number(process.env.BASELINE_POOL_SIZE ?? 16) });
pool.on('error', (err) => console.error('baseline-q: idle client error:', err.message));

const SQL = 'SELECT id, name, ram, disk, cpu_quota, price FROM plans ORDER BY id';

const server = http.createServer(async (req, res) => {
  try {
    const { rows } = await pool.query(SQL);
    const body = JSON.stringify(rows.map((row) => ({ ...row, price: Number(row.price) })));
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  } catch (err) {
    res.writeHead(500, { 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify({ error: err.message }));
  }
});

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  if (process.send) process.send({ ready: true, port });
  else console.log(`baseline Q listening on http://127.0.0.1:${port}/`);
});

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  setTimeout(() => process.exit(0), 2000).unref();
  server.close();
  server.closeAllConnections?.();
  pool.end().finally(() => process.exit(0));
};
process.on('disconnect', stop);
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
