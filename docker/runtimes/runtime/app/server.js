// Berth default app (Node.js). Replace /srv/app with your own code and point
// /srv/conf/supervisor.d/app.conf at it.
'use strict';
const http = require('node:http');

const port = Number(process.env.PORT) || 8080;
const page = Buffer.from(`<!doctype html>
<html><head><meta charset="utf-8"><title>Berth</title></head>
<body><h1>It works</h1>
<p>This is the default Node.js app of your Berth container.</p>
<p>Upload your code to <code>/srv/app</code> (SSH, SFTP, rsync) and describe how to run it
in <code>/srv/conf/supervisor.d/app.conf</code>, then run
<code>supervisorctl reread &amp;&amp; supervisorctl update</code>.
It must listen on the port in <code>$PORT</code> (${port}).</p>
</body></html>
`);
// With its length the response goes out in one piece; without it Node sends it chunked and a
// proxy in front (the edge) must treat it as a stream and flush every chunk on its own.
const headers = {
  'content-type': 'text/html; charset=utf-8',
  'content-length': String(page.length),
  'cache-control': 'no-store',
};

const server = http.createServer((req, res) => {
  res.writeHead(200, headers);
  res.end(req.method === 'HEAD' ? undefined : page);
});
server.listen(port, '0.0.0.0', () => console.log(`default app listening on :${port}`));

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
