"""Hostile clients of the operations endpoint, for test_http_hostile.sh.

SlowClients opens many connections that each send a request line and then
one header line every few seconds, never finishing the request (a
"slowloris"): a server that waits for the end of the headers without a
deadline keeps a slot for each of them. One thread drives them all with
select(). `probe` times one GET on a fresh connection.

The slow clients run in a process of their own (`python3 hostile_http.py
slow PORT COUNT SOURCE reconnect|once`, stopped by closing its stdin, its counts printed
as JSON), as an attacker would: in the prober's process they would hold
its interpreter lock for milliseconds between its connect and its send.
"""
import json
import select
import socket
import threading
import time
import urllib.error
import urllib.request


class SlowClients:
    def __init__(self, port, count, source="127.0.0.1", interval=3.0, path="/metrics", reconnect=True):
        self.port, self.count, self.source = port, count, source
        self.interval, self.path, self.reconnect = interval, path, reconnect
        self.socks = {}  # socket -> time of its next header line
        self.opened = self.closed_by_server = self.refused = 0
        self.stop_flag = threading.Event()
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _open_one(self):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind((self.source, 0))
        s.settimeout(2)
        try:
            s.connect(("127.0.0.1", self.port))
            s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\n" % self.path).encode())
        except OSError:
            s.close()
            self.refused += 1
            return
        s.setblocking(False)
        self.socks[s] = time.monotonic() + self.interval
        self.opened += 1

    def start(self):
        for _ in range(self.count):
            self._open_one()
        self.thread.start()
        return self

    def open_now(self):
        """connections the server has not closed"""
        with self.lock:
            return len(self.socks)

    def _run(self):
        n = 0
        while not self.stop_flag.is_set():
            with self.lock:
                socks = list(self.socks)
            readable = select.select(socks, [], [], 0.2)[0] if socks else []
            with self.lock:
                for s in readable:  # the server answered (an error) or closed: this one is done
                    self.socks.pop(s, None)
                    s.close()
                    self.closed_by_server += 1
                now = time.monotonic()
                for s, due in list(self.socks.items()):
                    if now >= due:
                        n += 1
                        try:
                            s.send(("X-Slow-%d: %d\r\n" % (n, n)).encode())
                            self.socks[s] = now + self.interval
                        except OSError:
                            self.socks.pop(s, None)
                            s.close()
                            self.closed_by_server += 1
                # an attacker opens again what the server closed
                while self.reconnect and len(self.socks) < self.count and not self.stop_flag.is_set():
                    before = len(self.socks)
                    self._open_one()
                    if len(self.socks) == before:
                        break

    def close(self):
        self.stop_flag.set()
        self.thread.join()
        for s in self.socks:
            s.close()
        self.socks.clear()


def probe(port, path, timeout=5.0):
    """(status, seconds, body) of one GET; status None on a timeout or a
    refused or dropped connection"""
    t = time.monotonic()
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=timeout) as r:
            return r.status, time.monotonic() - t, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, time.monotonic() - t, e.read().decode()
    except (OSError, urllib.error.URLError) as e:
        return None, time.monotonic() - t, str(e)


class SlowProcess:
    """SlowClients in a child process"""

    def __init__(self, port, count, source="127.0.0.1", reconnect=True):
        import subprocess
        import sys
        self.p = subprocess.Popen([sys.executable, __file__, "slow", str(port), str(count), source,
                                   "reconnect" if reconnect else "once"],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.p.stdout.readline().strip() == "started"

    def open_now(self):
        self.p.stdin.write("count\n")
        self.p.stdin.flush()
        return int(self.p.stdout.readline())

    def close(self):
        """the counts: opened, closed_by_server, refused, open_at_end"""
        out = self.p.communicate("", timeout=30)[0]
        return json.loads(out.strip().splitlines()[-1])


if __name__ == "__main__":
    import sys
    if sys.argv[1] == "slow":
        c = SlowClients(int(sys.argv[2]), int(sys.argv[3]), source=sys.argv[4],
                        reconnect=sys.argv[5] == "reconnect").start()
        print("started", flush=True)
        for line in sys.stdin:
            if line.strip() == "count":
                print(c.open_now(), flush=True)
        held = c.open_now()
        c.close()
        print(json.dumps({"opened": c.opened, "closed_by_server": c.closed_by_server, "refused": c.refused,
                          "open_at_end": held}), flush=True)
