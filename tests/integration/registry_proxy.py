"""An HTTPS front for the test registry that asks for HTTP Basic auth, as a
production registry behind TLS does: requests with the right credentials
are passed to the registry (plain HTTP), others get 401. Prints its port,
then serves until killed.
usage: registry_proxy.py CERT KEY USER:PASSWORD UPSTREAM_BASE_URL"""
import base64
import http.server
import ssl
import sys
import urllib.error
import urllib.request

cert, key, user_info, upstream = sys.argv[1:5]
expected = "Basic " + base64.b64encode(user_info.encode()).decode()


class Handler(http.server.BaseHTTPRequestHandler):
    def forward(self):
        if self.headers.get("Authorization") != expected:
            body = b'{"error_code":401,"message":"Unauthorized"}'
            self.send_response(401)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        n = int(self.headers.get("Content-Length") or 0)
        data = self.rfile.read(n) if n else None
        req = urllib.request.Request(upstream + self.path, data=data, method=self.command,
                                     headers={"Content-Type": self.headers.get("Content-Type", "application/json")})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                status, body = r.status, r.read()
        except urllib.error.HTTPError as e:
            status, body = e.code, e.read()
        self.send_response(status)
        self.send_header("Content-Type", "application/vnd.schemaregistry.v1+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = forward

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
server.socket = ctx.wrap_socket(server.socket, server_side=True)
print(server.server_address[1], flush=True)
server.serve_forever()
