"""Starting and stopping an emulator from the Python tests, with the same contract the C++ harness
uses (tests/support/emulator_process.h): ready file, stdin pipe, storage removed on exit."""

import json
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
PYTHON = "/usr/bin/python3"  # Debian's, with python3-botocore & co. (not a pyenv python3)


class EmulatorProcess:
    def __init__(self, script: str, extra_args, config: dict = None, timeout: float = 20.0,
                 tls_dir: str = None):
        """tls_dir: serve HTTPS with tls_dir/server.pem + server.key (make_test_ca.py); the control
        calls then trust tls_dir/ca.pem."""
        self.dir = tempfile.mkdtemp(prefix="sluice-emu-")
        ready = os.path.join(self.dir, "ready.json")
        args = [PYTHON, os.path.join(HERE, script), "--ready-file", ready, "--exit-on-stdin-eof",
                "--remove-on-exit", self.dir]
        if config is not None:
            path = os.path.join(self.dir, "config.json")
            with open(path, "w") as f:
                json.dump(config, f)
            args += ["--config", path]
        args += [a.replace("{dir}", self.dir) for a in extra_args]
        self._ssl = None
        if tls_dir:
            args += ["--tls-cert", os.path.join(tls_dir, "server.pem"),
                     "--tls-key", os.path.join(tls_dir, "server.key")]
            self._ssl = ssl.create_default_context(cafile=os.path.join(tls_dir, "ca.pem"))
        self.stderr = open(os.path.join(tempfile.gettempdir(), f"sluice-emu-{os.getpid()}-{script}.log"),
                           "w")
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                     stderr=self.stderr)
        deadline = time.monotonic() + timeout
        while not os.path.exists(ready):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"{script} did not start; see {self.stderr.name}")
            time.sleep(0.02)
        with open(ready) as f:
            said = json.load(f)
        self.port = said["port"]
        self.url = f"{said.get('scheme', 'http')}://127.0.0.1:{self.port}"

    def control(self, method: str, path: str, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + "/_emulator/" + path, data=data, method=method)
        with urllib.request.urlopen(req, timeout=10, context=self._ssl) as r:
            return json.loads(r.read())

    def requests(self, **match):
        return [r for r in self.control("GET", "requests")["requests"]
                if all(r.get(k) == v for k, v in match.items())]

    def faults(self, *rules):
        return self.control("POST", "faults", {"rules": list(rules)})

    def reset(self):
        self.control("POST", "reset")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()  # the emulator exits on EOF
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.stderr.close()
        shutil.rmtree(self.dir, ignore_errors=True)
        with open(self.stderr.name) as f:  # what the emulator said (tracebacks) goes to the test log
            said = f.read()
        if said:
            sys.stderr.write(f"--- emulator stderr ---\n{said}--- end ---\n")
        os.unlink(self.stderr.name)
