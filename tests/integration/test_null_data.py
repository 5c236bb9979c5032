"""Null znode data (a create/setData whose data buffer has length -1) is kept apart from
empty data, as ZooKeeper 3.8 does: getData answers a -1 buffer, the stat's dataLength is 0,
zkCli.sh's `create /p` (no data) makes such a node and its `get` prints `null`.  Runs against
ZK_TARGET; test_differential.py's "null_data" scenario compares with ZooKeeper step by step.
"""

import os
import re
import subprocess
import time

from . import jute
from .servers import REPO, target

ZKCLI = "/usr/share/zookeeper/bin/zkCli.sh"
ZK_CLI = os.path.join(os.environ.get("EXAMPLES_BIN_DIR", os.path.join(REPO, ".build", "debug")), "zk-cli")


def get(c, path):
    rep = c.get_data(path)
    assert rep.err == jute.OK, rep
    return rep.body


def test_null_data_over_raw_jute(jc, base):
    p = base + "/n"
    assert jc.create(p, None).err == jute.OK
    data, stat = get(jc, p)
    assert data is None and stat.dataLength == 0
    assert jc.create(base + "/e", b"").err == jute.OK
    data, stat = get(jc, base + "/e")
    assert data == b"" and stat.dataLength == 0
    # setData with null, with empty, with bytes, back to null.
    assert jc.set_data(p, b"").err == jute.OK
    assert get(jc, p)[0] == b""
    assert jc.set_data(p, b"xy").err == jute.OK
    assert get(jc, p)[0] == b"xy"
    st = jc.set_data(p, None).body
    assert st.dataLength == 0 and st.version == 3
    assert get(jc, p)[0] is None
    # create2, ephemeral, inside multi and multiRead.
    rep = jc.create2(base + "/c2", None)
    assert rep.err == jute.OK and rep.body[1].dataLength == 0
    assert get(jc, base + "/c2")[0] is None
    assert jc.create(base + "/eph", None, flags=jute.EPHEMERAL).err == jute.OK
    assert get(jc, base + "/eph")[0] is None
    rep = jc.multi([jute.op_create(base + "/m", None), jute.op_set(base + "/e", None)])
    assert rep.err == jute.OK, rep
    rep = jc.multi_read([jute.op_get_data(base + "/m"), jute.op_get_data(base + "/e"), jute.op_get_data(base + "/c2")])
    assert rep.err == jute.OK
    assert [r[2][0] for r in rep.body] == [None, None, None]


def test_kazoo_reads_and_writes_null_as_none(zk, jc, base):
    assert jc.create(base + "/n", None).err == jute.OK
    value, stat = zk.get(base + "/n")
    assert value is None and stat.data_length == 0
    zk.create(base + "/e", b"")
    assert zk.get(base + "/e")[0] == b""
    # kazoo sends null for value=None (create and set).
    zk.create(base + "/k", None)
    assert get(jc, base + "/k")[0] is None
    zk.set(base + "/e", None)
    assert zk.get(base + "/e")[0] is None
    zk.set(base + "/e", b"")
    assert get(jc, base + "/e")[0] == b""


def test_null_data_survives_restart_log_and_snapshot(server_factory):
    srv = server_factory(name="null-durability")
    c = srv.jute()
    assert c.create("/in-snapshot", None).err == jute.OK
    assert c.create("/empty", b"").err == jute.OK
    if target() == "tusk":
        # Snapshot now (csnp), wait until it is taken, then write more that only the log holds.
        out = srv.four("csnp")
        index = int(re.search(r"index (\d+)", out).group(1))
        deadline = time.monotonic() + 20
        while True:
            info = dict(l.split("\t", 1) if "\t" in l else l.split(" ", 1) for l in srv.four("lgif").splitlines() if l)
            if int(info.get("last_snapshot_idx", "0").strip()) >= index:
                break
            assert time.monotonic() < deadline, info
            time.sleep(0.1)
    assert c.create("/in-log", None).err == jute.OK
    assert c.create("/set-null", b"x").err == jute.OK
    assert c.set_data("/set-null", None).err == jute.OK
    c.close()
    srv.restart()
    c = srv.jute()
    for path, want in [("/in-snapshot", None), ("/empty", b""), ("/in-log", None), ("/set-null", None)]:
        data, stat = get(c, path)
        assert data == want, (path, data)
        assert stat.dataLength == 0
    c.close()


def cli_lines(out):
    """zk-cli/zkCli.sh stdout without the connection banner and the connect event."""
    return [l for l in out.splitlines()
            if not (l.startswith("Connecting to") or l == "WATCHER::" or l.startswith("WatchedEvent state:SyncConnected"))]


def run(argv, timeout=60):
    p = subprocess.run(argv, input="", capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def test_zk_cli_create_without_data_is_null_and_get_prints_null_like_zkcli(server, base, jc):
    assert os.path.exists(ZK_CLI), "build zk-cli first (swift build --product zk-cli)"
    code, out, err = run([ZK_CLI, "-server", server.hosts, "create", base + "/a"])
    assert code == 0 and "Created %s/a" % base in out + err
    assert get(jc, base + "/a")[0] is None  # like zkCli.sh: no data argument sends null
    code, out, _ = run([ZK_CLI, "-server", server.hosts, "get", "-s", base + "/a"])
    lines = [l for l in cli_lines(out) if l]
    assert code == 0 and lines[0] == "null" and "dataLength = 0" in lines, lines
    assert jc.create(base + "/e", b"").err == jute.OK
    code, out, _ = run([ZK_CLI, "-server", server.hosts, "get", base + "/e"])
    assert [l for l in cli_lines(out) if l != ""] == []
    # The stock zkCli.sh prints the same for the node zk-cli created.
    _, out, _ = run([ZKCLI, "-server", server.hosts, "get", base + "/a"])
    assert "null" in out.splitlines()
