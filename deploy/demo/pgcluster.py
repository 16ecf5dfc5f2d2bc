"""A throwaway PostgreSQL cluster for the tests and `make demo-cluster`:
initdb and pg_ctl (the postgresql-15 binaries) in a temporary folder,
listening only on a Unix socket in that folder, no system service. initdb
refuses to run as root, so when run as root the cluster belongs to `nobody`;
remove() stops it and removes the folder. Used as a context manager or
through start()/remove().
replica() makes a streaming replica of a running cluster (pg_basebackup -R,
its own folder, socket and port); kill() SIGKILLs a cluster's postmaster and
then its children, as a dead machine; promote() makes a replica the primary;
failover_url() is the [store] url naming a primary and its replica."""

import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time

from procs import alive, children_of

PG_BIN = os.environ.get("PANTAU_PG_BIN", "/usr/lib/postgresql/15/bin")
PG_USER = "nobody"


def available():
    """True when initdb, pg_ctl and psql are installed."""
    return all(os.access(os.path.join(PG_BIN, b), os.X_OK)
               for b in ("initdb", "pg_ctl", "postgres", "psql"))


class PgCluster:
    def __init__(self, name="pantau", port=5432):
        self.dir = tempfile.mkdtemp(prefix=f"pantau-pg-{name}-")
        self.data = os.path.join(self.dir, "data")
        self.sock = self.dir
        self.log = os.path.join(self.dir, "log")
        self.port = port
        self.dbname = "pantau"
        self.as_user = os.geteuid() == 0
        if self.as_user:
            pw = pwd.getpwnam(PG_USER)
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
            os.chmod(self.dir, 0o755)
            self.user = PG_USER
        else:
            self.user = pwd.getpwuid(os.geteuid()).pw_name

    def _run(self, argv, check=True, timeout=60):
        if self.as_user:
            argv = ["setpriv", f"--reuid={PG_USER}", f"--regid={pwd.getpwnam(PG_USER).pw_gid}",
                    "--clear-groups", "--"] + argv
        return subprocess.run(argv, check=check, timeout=timeout, capture_output=True,
                              text=True, cwd=self.dir)

    def url(self):
        """The [store] url of the cluster's database, through its socket."""
        return (f"postgresql:///{self.dbname}?host={self.sock}&port={self.port}"
                f"&user={self.user}")

    def init(self):
        self._run([os.path.join(PG_BIN, "initdb"), "-D", self.data, "-A", "trust",
                   "-U", self.user, "--no-sync", "-E", "UTF8", "--locale=C"])
        with open(os.path.join(self.data, "postgresql.conf"), "a") as f:
            f.write(f"listen_addresses = ''\nunix_socket_directories = '{self.sock}'\n"
                    f"port = {self.port}\nfsync = off\n")

    def start(self):
        if not os.path.isdir(self.data):
            self.init()
        self._run([os.path.join(PG_BIN, "pg_ctl"), "-D", self.data, "-l", self.log,
                   "-w", "-t", "60", "start"])
        if self.psql("SELECT 1 FROM pg_database WHERE datname = '%s'" % self.dbname,
                     db="postgres") != "1":
            self.psql(f"CREATE DATABASE {self.dbname}", db="postgres")

    def stop(self, mode="fast"):
        self._run([os.path.join(PG_BIN, "pg_ctl"), "-D", self.data, "-m", mode, "-w",
                   "stop"], check=False)

    def psql(self, sql, db=None):
        """One query's rows, fields split by |, rows by newlines."""
        p = self._run([os.path.join(PG_BIN, "psql"), "-X", "-A", "-t", "-q", "-h", self.sock,
                       "-p", str(self.port), "-U", self.user, "-d", db or self.dbname,
                       "-v", "ON_ERROR_STOP=1", "-c", sql])
        return p.stdout.strip()

    def replica(self, name, port=None):
        """A hot standby streaming from this running cluster, started."""
        r = PgCluster(name, port or self.port + 1)
        r._run([os.path.join(PG_BIN, "pg_basebackup"), "-D", r.data, "-h", self.sock,
                "-p", str(self.port), "-U", self.user, "-R", "-X", "stream", "-c", "fast",
                "--no-sync"], timeout=120)
        with open(os.path.join(r.data, "postgresql.conf"), "a") as f:
            f.write(f"unix_socket_directories = '{r.sock}'\nport = {r.port}\n")
        r.start()
        return r

    def failover_url(self, replica):
        """The [store] url listing this cluster and its replica, for a
        collector that finds whichever is the primary (docs/storage.md)."""
        return (f"postgresql:///{self.dbname}?host={self.sock},{replica.sock}"
                f"&port={self.port},{replica.port}&user={self.user}"
                "&target_session_attrs=read-write")

    def streaming_pids(self):
        """The pids of this primary's WAL senders that are streaming."""
        out = self.psql("SELECT pid FROM pg_stat_replication WHERE state = 'streaming'")
        return [int(x) for x in out.split()]

    def in_recovery(self):
        return self.psql("SELECT pg_is_in_recovery()") == "t"

    def promote(self):
        self._run([os.path.join(PG_BIN, "pg_ctl"), "-D", self.data, "-w", "-t", "60",
                   "promote"])

    def postmaster_pid(self):
        try:
            with open(os.path.join(self.data, "postmaster.pid")) as f:
                return int(f.readline())
        except (OSError, ValueError):
            return None

    def kill(self):
        """SIGKILL the postmaster, then every process it had started."""
        pid = self.postmaster_pid()
        if pid is None:
            return
        children = [c for c, _ in children_of(pid)]
        for p in [pid] + children:
            try:
                os.kill(p, signal.SIGKILL)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(alive(p) for p in [pid] + children):
            time.sleep(0.05)

    def remove(self):
        self.stop("immediate")
        self.kill()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.remove()

