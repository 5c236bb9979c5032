"""Tusk's snapshots are walked on a thread of their own (or, with TUSK_SNAPSHOT_WALK=loop,
in short slices on the event loop) and written off the loop: requests keep being
answered while one is taken, writes made meanwhile are neither lost nor leaked into it,
and a restart from it (plus the log after it) gives the same state."""

import re
import threading
import time

import pytest

from . import jute
from .servers import Server, target

pytestmark = pytest.mark.skipif(target() != "tusk", reason="csnp/lgif and the snapshot log are Tusk's")

N = 20000


def pipelined_creates(c, n, data=b"x" * 100, batch=1000):
    done = 0
    while done < n:
        k = min(batch, n - done)
        frames = []
        for i in range(done, done + k):
            payload = jute.w_int(i + 1000) + jute.w_int(jute.OP["create"]) + jute.create_body("/big/n%06d" % i, data)
            frames.append(jute.w_int(len(payload)) + payload)
        c.sock.sendall(b"".join(frames))
        for i in range(done, done + k):
            r = jute.Reader(c.recv_frame())
            xid, _zxid, err = r.int(), r.long(), r.int()
            assert (xid, err) == (i + 1000, jute.OK)
        done += k


def snapshot_logs(srv):
    with open(srv.log_path, "rb") as f:
        return re.findall(rb"snapshot at index (\d+): (\d+) bytes in \d+ ms \((?:(\d+) walk slices|walked on its own thread)",
                          f.read())


def wait_for(cond, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = cond()
        if v:
            return v
        time.sleep(0.02)
    raise AssertionError("condition not met within %ss" % timeout)


@pytest.mark.parametrize("walk", ["thread", "loop"])
def test_snapshot_while_writing_then_restart(walk):
    env = {"TUSK_SNAPSHOT_WALK": "loop"} if walk == "loop" else {}
    srv = Server(cfg={"snapCount": "100000000"}, env=env).start()
    try:
        c = srv.jute(io_timeout=60.0)
        assert c.create("/big").err == jute.OK
        assert c.create("/w", b"0").err == jute.OK
        pipelined_creates(c, N)

        writer = srv.jute(io_timeout=60.0)
        written = []
        stop = threading.Event()
        errors = []

        def write_loop():
            try:
                i = 0
                while not stop.is_set():
                    i += 1
                    assert writer.set_data("/w", b"%d" % i).err == jute.OK
                    assert writer.create("/big/late%05d" % i).err == jute.OK
                    written.append(i)
            except Exception as e:  # reported below
                errors.append(e)

        t = threading.Thread(target=write_loop)
        t.start()
        wait_for(lambda: len(written) >= 5)
        assert "Snapshot creation scheduled" in srv.four("csnp")
        logs = wait_for(lambda: snapshot_logs(srv))
        mid = len(written)
        wait_for(lambda: len(written) >= mid + 20)
        stop.set()
        t.join(60)
        assert not errors, errors
        last = written[-1]
        index, size, slices = logs[-1]
        assert int(size) > N * 100
        if walk == "loop":
            # the walk was sliced: the loop kept serving writes between the slices
            assert slices and int(slices) > 1, logs
        else:
            assert not slices, logs
        lgif = srv.four("lgif")
        assert "last_snapshot_idx" in lgif
        writer.close()
        c.close()

        srv.restart()
        c = srv.jute(io_timeout=60.0)
        rep = c.get_data("/w")
        assert rep.err == jute.OK and rep.body[0] == b"%d" % last
        st = c.exists("/big").body
        assert st.numChildren == N + last
        assert c.exists("/big/n%06d" % (N - 1)).err == jute.OK
        assert c.exists("/big/late%05d" % last).err == jute.OK
        c.close()
    finally:
        srv.cleanup()
