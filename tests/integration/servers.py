"""Start/stop a ZooKeeper-compatible server (Tusk or Apache ZooKeeper 3.8) for tests.

Every server gets a free port picked at run time, its own temporary dataDir and
zoo.cfg, and its stderr captured to a file.  Only the process started here is
ever signalled (terminate, then kill after a bound).
"""

import os
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import time

from . import jute

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
ZK_JARS = ["/usr/share/java/zookeeper.jar", "/usr/share/java/slf4j-simple.jar"]
ZK_MAIN = "org.apache.zookeeper.server.ZooKeeperServerMain"

# Startup must finish within this bound (JVM start is ~1-3 s on this machine).
START_TIMEOUT = float(os.environ.get("ZK_START_TIMEOUT", "60"))
STOP_TIMEOUT = 10.0

# Servers alive right now; conftest prints their log tails on a test failure.
LIVE = []


def target():
    t = os.environ.get("ZK_TARGET", "tusk")
    if t not in ("tusk", "zookeeper"):
        raise ValueError("ZK_TARGET must be tusk or zookeeper, not %r" % t)
    return t


def tusk_bin():
    return os.environ.get("TUSK_BIN", os.path.join(REPO, ".build", "debug", "zk-server"))


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerStartError(RuntimeError):
    pass


class Server:
    """One server process.

    kind: "tusk" or "zookeeper".
    cfg: dict of extra zoo.cfg keys (override defaults).
    sysprops: dict of -D system properties; Tusk receives them as argv before
              the cfg path, ZooKeeper as JVM flags.
    """

    DEFAULT_CFG = {
        "tickTime": "500",
        "initLimit": "10",
        "syncLimit": "5",
        "maxClientCnxns": "0",
        "minSessionTimeout": "1000",
        "maxSessionTimeout": "30000",
        "4lw.commands.whitelist": "*",
        "extendedTypesEnabled": "true",
        "admin.enableServer": "false",
    }

    def __init__(self, kind=None, cfg=None, sysprops=None, name=None, env=None):
        self.kind = kind or target()
        # Extra environment variables for the server process.
        self.env = dict(env or {})
        self.cfg = dict(self.DEFAULT_CFG)
        for k, v in (cfg or {}).items():
            if v is None:
                self.cfg.pop(k, None)
            else:
                self.cfg[k] = str(v)
        self.sysprops = dict(sysprops or {})
        self.name = name or self.kind
        self.proc = None
        self.port = None
        self.host = "127.0.0.1"
        self.workdir = None
        self.log_path = None
        self._log = None

    # -- lifecycle --
    def _write_cfg(self):
        self.datadir = os.path.join(self.workdir, "data")
        os.makedirs(self.datadir, exist_ok=True)
        lines = ["clientPort=%d" % self.port, "clientPortAddress=127.0.0.1",
                 "dataDir=%s" % self.datadir]
        lines += ["%s=%s" % kv for kv in self.cfg.items()]
        self.cfg_path = os.path.join(self.workdir, "zoo.cfg")
        with open(self.cfg_path, "w") as f:
            f.write("\n".join(lines) + "\n")

    def _argv(self):
        props = ["-D%s=%s" % kv for kv in self.sysprops.items()]
        if self.kind == "zookeeper":
            return (["java", "-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                     "-Dorg.slf4j.simpleLogger.defaultLogLevel=info"]
                    + props + ["-cp", ":".join(ZK_JARS), ZK_MAIN, self.cfg_path])
        binary = tusk_bin()
        if not os.path.exists(binary):
            raise ServerStartError("Tusk binary not found at %s (set TUSK_BIN or ZK_TARGET=zookeeper)" % binary)
        return [binary] + props + [self.cfg_path]

    def start(self):
        last_err = None
        for _attempt in range(3):  # a picked port can be taken by someone else in between
            self.workdir = tempfile.mkdtemp(prefix="zk-it-%s-" % self.name)
            self.port = free_port()
            self._write_cfg()
            self.log_path = os.path.join(self.workdir, "server.stderr")
            self._log = open(self.log_path, "wb")
            self.proc = subprocess.Popen(self._argv(), stdin=subprocess.DEVNULL,
                                         stdout=self._log, stderr=subprocess.STDOUT,
                                         cwd=self.workdir, start_new_session=True,
                                         env=dict(os.environ, **self.env) if self.env else None)
            LIVE.append(self)
            try:
                self._wait_ready()
                return self
            except ServerStartError as e:
                last_err = e
                self.stop()
                if "exited" not in str(e):
                    break
        raise last_err

    def restart(self):
        """Stop (SIGTERM) and start again on the same port, cfg and dataDir."""
        self.stop()
        self._log = open(self.log_path, "ab")
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            self.proc = subprocess.Popen(self._argv(), stdin=subprocess.DEVNULL,
                                         stdout=self._log, stderr=subprocess.STDOUT,
                                         cwd=self.workdir, start_new_session=True,
                                         env=dict(os.environ, **self.env) if self.env else None)
            LIVE.append(self)
            try:
                self._wait_ready()
                return self
            except ServerStartError:
                # the old socket may linger briefly; retry while within the bound
                self.stop()
                if time.monotonic() > deadline:
                    raise
                self._log = open(self.log_path, "ab")
                time.sleep(0.5)

    def _probe(self):
        """Ready when a jute session handshake succeeds (ZooKeeper answers ruok
        with imok before its request pipeline runs, so ruok alone is not enough)."""
        try:
            c = jute.JuteClient(self.host, self.port, timeout_ms=4000, io_timeout=2.0)
        except (OSError, ConnectionError, ValueError, struct.error, jute.ZKProtocolError):
            return False
        try:
            c.close()
        except Exception:
            pass
        return c.session_id not in (None, 0)

    def _wait_ready(self):
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ServerStartError("%s exited with %s during startup:\n%s"
                                       % (self.name, self.proc.returncode, self.log_tail()))
            if self._probe():
                return
            time.sleep(0.1)
        raise ServerStartError("%s not ready within %.0fs:\n%s" % (self.name, START_TIMEOUT, self.log_tail()))

    def stop(self):
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)
                try:
                    self.proc.wait(STOP_TIMEOUT)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait(STOP_TIMEOUT)
            self.proc = None
        if self._log is not None:
            self._log.close()
            self._log = None
        if self in LIVE:
            LIVE.remove(self)

    def cleanup(self):
        self.stop()
        if self.workdir and os.environ.get("ZK_KEEP_WORKDIR") != "1":
            shutil.rmtree(self.workdir, ignore_errors=True)

    def log_tail(self, n=40):
        if not self.log_path or not os.path.exists(self.log_path):
            return "(no log)"
        with open(self.log_path, "rb") as f:
            lines = f.read().decode("utf-8", "replace").splitlines()
        return "\n".join(lines[-n:])

    # -- helpers --
    @property
    def hosts(self):
        return "%s:%d" % (self.host, self.port)

    def four(self, cmd, timeout=10.0):
        return jute.four_letter(self.host, self.port, cmd, timeout)

    def jute(self, **kw):
        return jute.JuteClient(self.host, self.port, **kw)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.cleanup()
