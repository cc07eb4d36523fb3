#!/usr/bin/python3
"""The whole emulated Snowflake stack for benchmarks and manual runs: a throw-away PostgreSQL
(pgtemp.py; as the postgres account when run as root), the S3 emulator and the SQL API emulator
on it, a key pair, and a sluice connection for them.

Run: /usr/bin/python3 run_stack.py OUT_DIR [--schema BENCH]
Writes OUT_DIR/rsa_key.p8, OUT_DIR/connection.yaml (a `connections:` block with the connection
`snow`, to put in front of a config's `tables:`), OUT_DIR/env (AWS_* variables for the stage) and
OUT_DIR/stack.json ({"s3": url, "sql": url, "pg_dsn": ...}), then prints "ready" and waits. It
stops everything (PostgreSQL included) when its stdin closes or on SIGTERM/SIGINT; the emulators
also exit by themselves if this process is killed outright (they watch their stdin).
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from cryptography.hazmat.primitives import serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: E402

from harness import EmulatorProcess  # noqa: E402
from pgtemp import TempPostgres  # noqa: E402

AKID, SECRET = "AKIDBENCH", "bench/secret/key"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--schema", default="BENCH")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    key_file = os.path.join(args.out, "rsa_key.p8")
    with open(key_file, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo).decode()

    stopping = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stopping.set())
    pg = TempPostgres()  # installs its own SIGTERM handler (stop, then exit): replaced below
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    s3 = sf = None
    try:
        subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", pg.dsn, "-c",
                        f'CREATE SCHEMA "{args.schema}"'], check=True)
        s3 = EmulatorProcess("s3_emulator.py", ["--root", "{dir}/store"],
                             config={"region": "eu-west-1", "buckets": ["stage"],
                                     "credentials": [{"access_key": AKID, "secret_key": SECRET}]})
        sf = EmulatorProcess("snowflake_emulator.py", [],
                             config={"account": "MYORG-MYACCT",
                                     "users": [{"name": "LOADER", "public_keys": [public]}],
                                     "pg_dsn": pg.dsn, "s3_root": os.path.join(s3.dir, "store"),
                                     "stages": {"SLUICE_STAGE": "s3://stage/sluice/"}})
        with open(os.path.join(args.out, "connection.yaml"), "w") as f:
            f.write(f"""target: snow
connections:
  snow:
    type: snowflake
    account: myorg-myacct
    user: loader
    auth: {{ method: keypair, private_key_file: "{key_file}" }}
    warehouse: LOAD_WH
    database: SLUICE
    schema: {args.schema}
    endpoint: "{sf.url}"
    stage: {{ name: SLUICE_STAGE, url: "s3://stage/sluice/", region: eu-west-1, endpoint: "{s3.url}", addressing: path }}
""")
        with open(os.path.join(args.out, "env"), "w") as f:
            f.write(f"export AWS_ACCESS_KEY_ID={AKID}\nexport AWS_SECRET_ACCESS_KEY={SECRET}\n")
        with open(os.path.join(args.out, "stack.json"), "w") as f:
            json.dump({"s3": s3.url, "sql": sf.url, "pg_dsn": pg.dsn, "s3_dir": s3.dir}, f)
        print("ready", flush=True)

        def watch_stdin():
            try:
                while sys.stdin.buffer.read(4096):
                    pass
            except OSError:
                pass
            stopping.set()
        threading.Thread(target=watch_stdin, daemon=True).start()
        stopping.wait()
    finally:
        for e in (sf, s3):
            if e is not None:
                e.stop()
        pg.stop()


if __name__ == "__main__":
    main()
