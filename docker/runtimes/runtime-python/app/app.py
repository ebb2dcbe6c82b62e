"""Berth default app (Python). Replace /srv/app with your own code and point
/srv/conf/supervisor.d/app.conf at it."""
import os
import signal
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT = int(os.environ.get("PORT") or 8080)
PAGE = f"""<!doctype html>
<html><head><meta charset="utf-8"><title>Berth</title></head>
<body><h1>It works</h1>
<p>This is the default Python app of your Berth container.</p>
<p>Upload your code to <code>/srv/app</code> (SSH, SFTP, rsync) and describe how to run it
in <code>/srv/conf/supervisor.d/app.conf</code>, then run
<code>supervisorctl reread &amp;&amp; supervisorctl update</code>.
It must listen on the port in <code>$PORT</code> ({PORT}).</p>
</body></html>
""".encode()


class Handler(BaseHTTPRequestHandler):
    server_version = "berth-default"

    def _head(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(PAGE)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()

    def do_HEAD(self):
        self._head()

    def do_GET(self):
        self._head()
        self.wfile.write(PAGE)

    do_POST = do_GET

    def log_message(self, fmt, *args):
        sys.stdout.write("%s %s\n" % (self.address_string(), fmt % args))


def main():
    server = ThreadingHTTPServer(("0.0.0.0", PORT), Handler)
    server.daemon_threads = True
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"default app listening on :{PORT}", flush=True)
    try:
        server.serve_forever()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
