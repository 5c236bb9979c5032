"""A 3- or 5-server ensemble on loopback (Tusk or Apache ZooKeeper), for multi-process tests.

Every member gets free client/peer/election ports picked at run time, its own dataDir
with `myid`, and the same `server.N=` lines.  Only processes started here are signalled.
"""

import os
import signal
import subprocess
import time

from . import servers
from .servers import Server, ServerStartError, free_port


class Member(Server):
    def __init__(self, sid, kind, lines, cfg=None, sysprops=None):
        super().__init__(kind=kind, cfg=cfg, sysprops=sysprops, name="%s-%d" % (kind, sid))
        self.sid = sid
        self.server_lines = lines

    def _write_cfg(self):
        super()._write_cfg()
        with open(os.path.join(self.datadir, "myid"), "w") as f:
            f.write("%d\n" % self.sid)
        with open(self.cfg_path, "a") as f:
            f.write("\n".join(self.server_lines) + "\n")

    def _argv(self):
        argv = super()._argv()
        if self.kind == "zookeeper":
            argv[argv.index(servers.ZK_MAIN)] = "org.apache.zookeeper.server.quorum.QuorumPeerMain"
        return argv

    def launch(self):
        """Start the process without waiting for readiness (needs a quorum)."""
        import tempfile
        if self.workdir is None:
            self.workdir = tempfile.mkdtemp(prefix="zk-ens-%s-" % self.name)
            self.port = free_port()
            self._write_cfg()
            self.log_path = os.path.join(self.workdir, "server.stderr")
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self._argv(), stdin=subprocess.DEVNULL, stdout=self._log,
                                     stderr=subprocess.STDOUT, cwd=self.workdir, start_new_session=True)
        servers.LIVE.append(self)

    def mode(self):
        try:
            out = self.four("srvr", timeout=2.0)
        except OSError:
            return None
        for line in out.splitlines():
            if line.startswith("Mode: "):
                return line[6:]
        return None

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)
        self.proc = None
        if self in servers.LIVE:
            servers.LIVE.remove(self)


class Ensemble:
    def __init__(self, n=3, kind=None, cfg=None, observers=0, sysprops=None):
        self._spec = (n, kind or servers.target(), cfg, observers, sysprops)
        self._make_members()

    def _make_members(self):
        n, kind, cfg, observers, sysprops = self._spec
        total = n + observers
        peer = [free_port() for _ in range(total)]
        election = [free_port() for _ in range(total)]
        lines = ["server.%d=127.0.0.1:%d:%d%s" % (i + 1, peer[i], election[i], ":observer" if i >= n else "")
                 for i in range(total)]
        base_cfg = {"tickTime": "200", "initLimit": "10", "syncLimit": "5"}
        base_cfg.update(cfg or {})
        observer_cfg = dict(base_cfg, peerType="observer")
        self.members = [Member(i + 1, kind, lines, observer_cfg if i >= n else base_cfg, sysprops) for i in range(total)]

    def start(self, timeout=60, attempts=3):
        for attempt in range(attempts):
            for m in self.members:
                m.launch()
            try:
                self.wait_for_leader(timeout)
                for m in self.members:
                    m._wait_ready()
                return self
            except ServerStartError as err:
                # A port free_port() picked can be taken by another process before the
                # server binds it: start the whole ensemble again on fresh ports.
                self.cleanup()
                if attempt == attempts - 1 or "exited" not in str(err):
                    raise
                self._make_members()

    @property
    def hosts(self):
        return ",".join(m.hosts for m in self.members if m.proc is not None)

    def modes(self):
        return {m.sid: (m.mode() if m.proc is not None else "dead") for m in self.members}

    def wait_for_leader(self, timeout=30, exclude=()):
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            for m in self.members:
                if m.proc is not None and m.proc.poll() is not None:
                    raise ServerStartError("%s exited:\n%s" % (m.name, m.log_tail()))
            last = self.modes()
            leaders = [sid for sid, mode in last.items() if mode == "leader" and sid not in exclude]
            if len(leaders) == 1:
                return next(m for m in self.members if m.sid == leaders[0])
            time.sleep(0.05)
        raise AssertionError("no single leader within %ss: %s" % (timeout, last))

    def leader(self):
        return self.wait_for_leader()

    def followers(self):
        lead = self.leader()
        return [m for m in self.members if m is not lead and m.proc is not None]

    def cleanup(self):
        for m in self.members:
            m.cleanup()

    def __enter__(self):
        """`with Ensemble(...) as e:` starts it and cleans it up however the block ends."""
        try:
            return self.start()
        except BaseException:
            self.cleanup()
            raise

    def __exit__(self, *exc):
        self.cleanup()
