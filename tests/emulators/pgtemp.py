"""A throw-away PostgreSQL server for the emulator self-tests (the C++ tests use
tests/support/test_postgres.h instead): initdb + pg_ctl from the newest /usr/lib/postgresql/*/bin,
in a fresh /tmp directory, on a unix socket only, as the postgres account when run as root
(PostgreSQL refuses root). Stopped and removed by stop(), at exit and on SIGTERM."""

import atexit
import glob
import os
import pwd
import shutil
import signal
import subprocess
import tempfile


def _bindir():
    dirs = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda d: int(d.split("/")[-2]))
    if not dirs:
        raise RuntimeError("no PostgreSQL server programs in /usr/lib/postgresql/*/bin")
    return dirs[-1]


class TempPostgres:
    def __init__(self):
        self.bindir = _bindir()
        self.dir = tempfile.mkdtemp(prefix="sluice-emupg-")
        os.chmod(self.dir, 0o755)
        self.data = os.path.join(self.dir, "data")
        self.sock = os.path.join(self.dir, "run")
        os.mkdir(self.sock)
        self.user = None
        if os.geteuid() == 0:
            self.user = "postgres"
            pw = pwd.getpwnam("postgres")
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
            os.chown(self.sock, pw.pw_uid, pw.pw_gid)
        self._started = False
        atexit.register(self.stop)
        previous = signal.getsignal(signal.SIGTERM)

        def on_term(signum, frame):
            self.stop()
            if callable(previous):
                previous(signum, frame)
            raise SystemExit(143)
        signal.signal(signal.SIGTERM, on_term)
        self._run(["initdb", "-D", self.data, "-U", "sluice", "-A", "trust", "-E", "UTF8",
                   "--no-sync", "--locale=C"])
        self._run(["pg_ctl", "-D", self.data, "-l", os.path.join(self.dir, "server.log"), "-w",
                   "-o", f"-k {self.sock} -c listen_addresses='' -c fsync=off", "start"])
        self._started = True
        self.dsn = f"host={self.sock} dbname=postgres user=sluice"

    def _run(self, args):
        r = subprocess.run([os.path.join(self.bindir, args[0])] + args[1:], user=self.user,
                           capture_output=True, text=True, cwd=self.dir)
        if r.returncode != 0:
            raise RuntimeError(f"{args[0]} failed: {r.stdout}{r.stderr}")

    def stop(self):
        if self._started:
            self._started = False
            try:
                self._run(["pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop"])
            except RuntimeError:
                pass
        shutil.rmtree(self.dir, ignore_errors=True)
