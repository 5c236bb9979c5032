"""kill -9 of a standalone server: every acknowledged write survives the restart."""

import threading
import time

from . import jute
from .ensemble import Member
from . import servers


def test_standalone_kill9_keeps_every_acknowledged_write():
    m = Member(1, servers.target(), [], {"tickTime": "500"})
    try:
        m.launch()
        m._wait_ready()
        c = m.jute(timeout_ms=30000)
        assert c.create("/k", b"").err == 0
        acked = []
        stop = threading.Event()

        def writer():
            w = m.jute(timeout_ms=30000, io_timeout=5.0)
            i = 0
            try:
                while not stop.is_set():
                    if w.create("/k/n%06d" % i, b"v").err == 0:
                        acked.append(i)
                    i += 1
            except (OSError, ConnectionError, jute.ZKProtocolError):
                pass  # the server died under us: writes after the last reply are unknown

        t = threading.Thread(target=writer)
        t.start()
        deadline = time.monotonic() + 20
        while len(acked) < 300 and time.monotonic() < deadline:
            time.sleep(0.01)
        m.kill9()
        stop.set()
        t.join(20)
        assert len(acked) >= 300
        c.close_socket()
        m.launch()
        m._wait_ready()
        d = m.jute(timeout_ms=30000)
        children = set(d.get_children("/k").body)
        missing = [i for i in acked if "n%06d" % i not in children]
        assert missing == [], "%d acknowledged writes lost, first %s" % (len(missing), missing[:5])
        # the old session survived too (its timeout had not passed)
        e = m.jute(timeout_ms=30000, session_id=c.session_id, passwd=c.passwd)
        assert e.session_id == c.session_id
        e.close()
        d.close()
    finally:
        m.cleanup()
