"""What the two HTTP emulators (S3, Snowflake SQL API) share: start-up and shutdown, the request log,
fault knobs and the /_emulator/ control endpoints.

Start-up contract with the test harness (tests/support/emulator_process.h):
  * the server binds 127.0.0.1 on --port (0 = a free port the kernel picks);
  * once it accepts connections it writes {"port": N, "pid": P} to --ready-file (atomically, by
    rename) and prints "listening on http://127.0.0.1:N" on stdout;
  * it exits on SIGTERM/SIGINT, and with --exit-on-stdin-eof when its stdin reaches end of file,
    i.e. when the harness (which holds the pipe's other end) exits or is killed, even by SIGKILL;
  * --remove-on-exit DIR: a directory it deletes when it exits (its storage), so nothing is left
    behind whatever happened to the harness;
  * --tls-cert PEM --tls-key PEM: serve HTTPS only (control endpoints included) with that
    certificate (the tests make a throw-away CA with make_test_ca.py); the ready line then says
    https://. Each connection's handshake runs in its handler thread, so a client that refuses
    the certificate cannot stall the accept loop.

Fault knobs are rules, set at start-up (--faults JSON file) or at run time (POST /_emulator/faults):
  {"op": "UploadPart" | "*", "action": ..., "count": N (default 1, -1 = forever),
   "match": "regex searched in the request line / statement" (optional), ...}
Actions: "delay" (delay_ms, then go on), "error" (answer `status` with the protocol's error body
instead of executing), "drop_before" (close the connection without executing), "drop_after"
(execute, then close the connection without answering), "error_200" (S3 CompleteMultipartUpload:
200 whose body is <Error>, nothing completed; S3 DeleteObjects: 200 with an <Error> for every key,
nothing deleted), "retry" (the Snowflake emulator's unload: an internal retry, see its docstring).
Each emulator documents its op names.

Control endpoints (no authentication, loopback only):
  GET  /_emulator/health     -> {"ok": true}
  GET  /_emulator/requests   -> {"requests": [...]} every request so far, in arrival order
  POST /_emulator/faults     -> add rules: {"rules": [...]}
  DELETE /_emulator/faults   -> remove all rules
  POST /_emulator/reset      -> clear the log and the rules
Each emulator may add its own (e.g. S3's /_emulator/credentials).
"""

import argparse
import http.server
import json
import os
import re
import shutil
import signal
import socket
import socketserver
import ssl
import sys
import threading
import time
import traceback
import urllib.parse


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0: a free port")
    parser.add_argument("--ready-file", help="where {\"port\":N,\"pid\":P} is written once serving")
    parser.add_argument("--exit-on-stdin-eof", action="store_true",
                        help="exit when stdin closes (the harness holds the other end)")
    parser.add_argument("--remove-on-exit", action="append", default=[],
                        help="a directory removed when the emulator exits")
    parser.add_argument("--faults", help="JSON file with {\"rules\": [...]} active from the start")
    parser.add_argument("--verbose", action="store_true", help="log every request on stderr")
    parser.add_argument("--tls-cert", help="serve HTTPS with this certificate (PEM, chain first)")
    parser.add_argument("--tls-key", help="the certificate's private key (PEM)")


class RequestLog:
    """Every request, in arrival order. Entries are dicts; handlers add op-specific fields."""

    def __init__(self):
        self._lock = threading.Lock()
        self._entries = []

    def new_entry(self, method: str, target: str) -> dict:
        entry = {"method": method, "target": target, "time": time.time()}
        with self._lock:
            entry["seq"] = len(self._entries) + 1
            self._entries.append(entry)
        return entry

    def snapshot(self) -> list:
        with self._lock:
            return [dict(e) for e in self._entries]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


class FaultRule:
    ACTIONS = {"delay", "error", "drop_before", "drop_after", "error_200", "retry"}

    def __init__(self, spec: dict):
        unknown = set(spec) - {"op", "action", "count", "match", "status", "delay_ms", "code",
                               "message"}
        if unknown:
            raise ValueError(f"unknown fault rule field(s): {sorted(unknown)}")
        self.op = spec.get("op", "*")
        self.action = spec.get("action")
        if self.action not in self.ACTIONS:
            raise ValueError(f"fault action must be one of {sorted(self.ACTIONS)}")
        self.count = int(spec.get("count", 1))
        self.match = re.compile(spec["match"]) if spec.get("match") else None
        self.status = int(spec.get("status", 503))
        self.delay_ms = int(spec.get("delay_ms", 0))
        self.code = spec.get("code")
        self.message = spec.get("message")
        self.spec = dict(spec)

    def applies(self, op: str, text: str) -> bool:
        if self.count == 0:
            return False
        if self.op != "*" and self.op != op:
            return False
        return not self.match or bool(self.match.search(text))


class FaultPlan:
    def __init__(self):
        self._lock = threading.Lock()
        self._rules = []

    def add(self, specs: list) -> None:
        rules = [FaultRule(s) for s in specs]
        with self._lock:
            self._rules.extend(rules)

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def take(self, op: str, text: str, actions: set):
        """The first rule with one of `actions` that applies to this request, consumed once."""
        with self._lock:
            for rule in self._rules:
                if rule.action in actions and rule.applies(op, text):
                    if rule.count > 0:
                        rule.count -= 1
                    return rule
        return None

    def describe(self) -> list:
        with self._lock:
            return [dict(r.spec, remaining=r.count) for r in self._rules]


class DropConnection(Exception):
    """Raised inside a handler: close the socket without sending (the rest of) a response."""


class EmulatorHandler(http.server.BaseHTTPRequestHandler):
    """HTTP/1.1 keep-alive handler with the control endpoints. Subclasses implement handle_api()."""

    protocol_version = "HTTP/1.1"
    server_version = "sluice-emulator/1"
    # Set by serve(): the emulator object (request log, faults, its own state).
    emulator = None

    def setup(self):
        if isinstance(self.request, ssl.SSLSocket):
            self.request.settimeout(30)  # a client that never finishes the handshake
            self.request.do_handshake()  # raises on a refused certificate: the connection ends
            self.request.settimeout(None)
        super().setup()

    def log_message(self, fmt, *args):  # quiet unless --verbose
        if self.emulator.verbose:
            sys.stderr.write("%s %s\n" % (self.address_string(), fmt % args))

    def do_GET(self):
        self._dispatch()

    def do_PUT(self):
        self._dispatch()

    def do_POST(self):
        self._dispatch()

    def do_DELETE(self):
        self._dispatch()

    def do_HEAD(self):
        self._dispatch()

    def _dispatch(self):
        self._entry = None  # handle_api() sets it to its request log entry
        try:
            if self.path.startswith("/_emulator/"):
                self._control()
            else:
                self.handle_api()
        except DropConnection:
            if self._entry is not None:
                self._entry["dropped"] = True
            self.close_connection = True
            try:
                self.wfile.flush()
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception:  # a bug in the emulator: answer 500 and say so on stderr
            traceback.print_exc()
            self.close_connection = True
            try:
                self.send_plain(500, "application/json",
                                json.dumps({"code": "emulator-bug", "message": "see stderr"}).encode())
            except OSError:
                pass
        finally:
            if self._entry is not None:
                self._entry["end"] = time.time()

    # --- helpers for subclasses -------------------------------------------------------------

    def read_body(self):
        """The request body by Content-Length; None when the request is chunked or has no length
        on a method that needs one (the caller answers that)."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            # Read it to the end (and drop it) so the client sees the answer, not a reset.
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return None
                self.rfile.read(size)
                self.rfile.readline()
        length = self.headers.get("Content-Length")
        if length is None:
            return b"" if self.command in ("GET", "HEAD", "DELETE") else None
        n = int(length)
        # One read: the buffered reader receives straight into a bytes object of n bytes, where
        # reading pieces and joining them copied every body once more and page-faulted twice the
        # memory (~0.1 s of CPU per 100 MB). A short result means the client hung up.
        body = self.rfile.read(max(n, 0))
        if len(body) < n:
            raise ConnectionResetError("client closed mid-body")
        return body

    def send_plain(self, status: int, content_type: str, body: bytes, headers=None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if content_type:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def send_json(self, status: int, obj, headers=None) -> None:
        self.send_plain(status, "application/json", json.dumps(obj).encode(), headers)

    def apply_delay(self, op: str, text: str) -> None:
        rule = self.emulator.faults.take(op, text, {"delay"})
        if rule:
            time.sleep(rule.delay_ms / 1000.0)

    # --- control endpoints ------------------------------------------------------------------

    def _control(self):
        em = self.emulator
        body = self.read_body() or b""
        path = self.path.split("?", 1)[0]
        if path == "/_emulator/health":
            return self.send_json(200, {"ok": True})
        if path == "/_emulator/requests" and self.command == "GET":
            return self.send_json(200, {"requests": em.log.snapshot()})
        if path == "/_emulator/faults":
            if self.command == "POST":
                try:
                    em.faults.add(json.loads(body or b"{}").get("rules", []))
                except (ValueError, TypeError) as e:
                    return self.send_json(400, {"error": str(e)})
                return self.send_json(200, {"rules": em.faults.describe()})
            if self.command == "DELETE":
                em.faults.clear()
                return self.send_json(200, {"rules": []})
            if self.command == "GET":
                return self.send_json(200, {"rules": em.faults.describe()})
        if path == "/_emulator/reset" and self.command == "POST":
            em.log.clear()
            em.faults.clear()
            return self.send_json(200, {"ok": True})
        query = dict(urllib.parse.parse_qsl(self.path.partition("?")[2], keep_blank_values=True))
        answer = em.control(self.command, path, query, body)
        if answer is not None:
            status, obj = answer
            if isinstance(obj, bytes):
                return self.send_plain(status, "application/octet-stream", obj)
            return self.send_json(status, obj)
        self.send_json(404, {"error": f"no control endpoint {self.command} {path}"})


class Emulator:
    """State shared by the handler threads. Subclasses add theirs and may override control()."""

    def __init__(self, args):
        self.args = args
        self.verbose = args.verbose
        self.log = RequestLog()
        self.faults = FaultPlan()
        if args.faults:
            with open(args.faults) as f:
                self.faults.add(json.load(f).get("rules", []))

    def control(self, method: str, path: str, query: dict, body: bytes):
        """Emulator-specific control endpoints: (status, json or bytes) or None for 404."""
        return None


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128
    tls = None  # an ssl.SSLContext when serving HTTPS

    def get_request(self):
        sock, addr = self.socket.accept()
        if self.tls is not None:  # handshake later, in the handler's thread (setup())
            sock = self.tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, addr

    def handle_error(self, request, client_address):
        # A client that refused our certificate (the wrong-CA tests) or hung up: not a bug.
        if isinstance(sys.exc_info()[1], (ssl.SSLError, ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)


def serve(emulator: Emulator, handler_class) -> None:
    args = emulator.args
    handler = type(handler_class.__name__, (handler_class,), {"emulator": emulator})
    server = _Server((args.host, args.port), handler)
    port = server.server_address[1]
    scheme = "http"
    if args.tls_cert or args.tls_key:
        if not (args.tls_cert and args.tls_key):
            raise SystemExit("--tls-cert and --tls-key go together")
        server.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        server.tls.minimum_version = ssl.TLSVersion.TLSv1_2
        server.tls.load_cert_chain(args.tls_cert, args.tls_key)
        scheme = "https"

    done = threading.Event()

    def stop(*_):
        if not done.is_set():
            done.set()
            threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if args.exit_on_stdin_eof:
        def watch_stdin():
            try:
                while sys.stdin.buffer.read(4096):
                    pass
            except OSError:
                pass
            stop()
        threading.Thread(target=watch_stdin, daemon=True).start()

    if args.ready_file:
        tmp = args.ready_file + ".tmp"
        with open(tmp, "w") as f:
            json.dump({"port": port, "pid": os.getpid(), "scheme": scheme}, f)
        os.rename(tmp, args.ready_file)
    print(f"listening on {scheme}://{args.host}:{port}", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
        for d in args.remove_on_exit:
            shutil.rmtree(d, ignore_errors=True)
