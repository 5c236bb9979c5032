"""Four-letter words: format essentials (not exact numbers) and the whitelist."""

import re

import pytest

from . import jute
from .conftest import expected_mode


def kv_lines(text, sep):
    out = {}
    for line in text.splitlines():
        if line.strip():
            k, _, v = line.partition(sep)
            out[k.strip()] = v.strip()
    return out


def test_ruok(server):
    assert server.four("ruok") == "imok"
    # only the first four bytes matter
    assert server.four("ruokextra") == "imok"


def test_kazoo_command(zk):
    assert zk.command(b"ruok") == "imok"


def test_unknown_and_uppercase_commands_get_empty_reply(server):
    assert server.four("xxxx") == ""
    assert server.four("RUOK") == ""


def test_srvr(server):
    out = server.four("srvr")
    assert out.startswith("Zookeeper version: 3.8.")
    lines = out.splitlines()
    assert [l.split(":")[0] for l in lines] == [
        "Zookeeper version", "Latency min/avg/max", "Received", "Sent", "Connections",
        "Outstanding", "Zxid", "Mode", "Node count"]
    d = kv_lines(out, ":")
    assert re.fullmatch(r"\d+/[\d.]+/\d+", d["Latency min/avg/max"])
    assert re.fullmatch(r"0x[0-9a-f]+", d["Zxid"])
    assert d["Mode"] == expected_mode(server)
    assert int(d["Node count"]) >= 4  # /, /zookeeper, /zookeeper/config, /zookeeper/quota
    assert out.endswith("\n")


def test_stat_lists_clients(server, jc):
    out = server.four("stat")
    assert out.startswith("Zookeeper version: 3.8.")
    head, _, rest = out.partition("Clients:\n")
    clients, _, tail = rest.partition("\n\n")
    for line in clients.splitlines():
        assert re.fullmatch(r" /127\.0\.0\.1:\d+\[\d+\]\(queued=\d+,recved=\d+,sent=\d+\)", line), line
    assert len(clients.splitlines()) >= 2  # this 4lw connection and jc
    d = kv_lines(tail, ":")
    assert d["Mode"] == expected_mode(server) and "Node count" in d


def test_mntr(server, jc, base):
    jc.create(base + "/e", flags=jute.EPHEMERAL)
    out = server.four("mntr")
    d = {}
    for line in out.splitlines():
        k, v = line.split("\t")
        d[k] = v
    assert d["zk_version"].startswith("3.8.")
    assert d["zk_server_state"] == expected_mode(server)
    for key in ("zk_avg_latency", "zk_max_latency", "zk_min_latency", "zk_packets_received",
                "zk_packets_sent", "zk_num_alive_connections", "zk_outstanding_requests",
                "zk_znode_count", "zk_watch_count", "zk_ephemerals_count", "zk_approximate_data_size",
                "zk_open_file_descriptor_count", "zk_max_file_descriptor_count"):
        assert key in d, key
    assert int(d["zk_ephemerals_count"]) >= 1
    assert int(d["zk_znode_count"]) >= 5
    assert int(d["zk_num_alive_connections"]) >= 1


def test_conf(server):
    d = kv_lines(server.four("conf"), "=")
    assert d["clientPort"] == str(server.port)
    assert d["tickTime"] == "500"
    assert d["minSessionTimeout"] == "1000" and d["maxSessionTimeout"] == "30000"
    assert d["maxClientCnxns"] == "0"
    assert d["dataDir"].startswith(server.datadir)
    for key in ("dataLogDir", "serverId", "secureClientPort", "clientPortListenBacklog"):
        assert key in d


def test_cons(server, jc):
    out = server.four("cons")
    assert out.endswith("\n\n")
    sid = "sid=0x%x" % jc.session_id
    line = [l for l in out.splitlines() if sid in l]
    assert len(line) == 1
    assert re.fullmatch(r" /127\.0\.0\.1:\d+\[1\]\(queued=\d+,recved=\d+,sent=\d+,sid=0x[0-9a-f]+,lop=\w+,"
                        r"est=\d+,to=\d+,lcxid=0x[0-9a-f]+,lzxid=0x[0-9a-f]+,lresp=\d+,llat=\d+,"
                        r"minlat=\d+,avglat=\d+,maxlat=\d+\)", line[0]), line[0]


def test_envi(server):
    out = server.four("envi")
    assert out.startswith("Environment:\n")
    d = kv_lines(out.split("\n", 1)[1], "=")
    assert d["zookeeper.version"].startswith("3.8.")
    for key in ("host.name", "os.name", "user.dir"):
        assert key in d


def test_watch_words(server, base):
    c = server.jute()
    try:
        c.create(base + "/w")
        c.get_data(base + "/w", watch=True)
        sid = "0x%x" % c.session_id
        wchs = server.four("wchs")
        assert re.fullmatch(r"\d+ connections watching \d+ paths\nTotal watches:\d+\n", wchs), wchs
        wchc = server.four("wchc")
        assert "%s\n\t%s\n" % (sid, base + "/w") in wchc
        wchp = server.four("wchp")
        assert "%s\n\t%s\n" % (base + "/w", sid) in wchp
    finally:
        c.close()


def test_dump(server, base):
    c = server.jute()
    try:
        c.create(base + "/e", flags=jute.EPHEMERAL)
        out = server.four("dump")
        assert out.startswith("SessionTracker dump:\n")
        assert "ephemeral nodes dump:\n" in out
        assert "0x%x:\n\t%s\n" % (c.session_id, base + "/e") in out
    finally:
        c.close()


def test_isro_dirs_crst_srst(server):
    assert server.four("isro") == "rw"
    dirs = server.four("dirs")
    assert re.fullmatch(r"datadir_size: \d+\nlogdir_size: \d+\n", dirs), dirs
    assert server.four("crst") == "Connection stats reset.\n"
    assert server.four("srst") == "Server stats reset.\n"
    # after srst the counters start again (this srvr connection is counted)
    d = kv_lines(server.four("srvr"), ":")
    assert int(d["Received"]) <= 3


def test_default_whitelist_is_srvr_only(server_factory):
    srv = server_factory(cfg={"4lw.commands.whitelist": None})
    assert srv.four("srvr").startswith("Zookeeper version: 3.8.")
    for cmd in ("ruok", "stat", "mntr", "conf", "envi", "dump"):
        assert srv.four(cmd) == "%s is not executed because it is not in the whitelist.\n" % cmd
    assert srv.four("xxxx") == ""


def test_explicit_whitelist(server_factory):
    srv = server_factory(cfg={"4lw.commands.whitelist": "ruok, conf"})
    assert srv.four("ruok") == "imok"
    assert srv.four("conf").startswith("clientPort=")
    # srvr is always enabled, whatever the whitelist says
    assert srv.four("srvr").startswith("Zookeeper version: 3.8.")
    assert srv.four("stat") == "stat is not executed because it is not in the whitelist.\n"


def test_counters_track_state(server_factory):
    """srvr/mntr numbers follow the tree exactly (fresh server, nothing else running)."""
    srv = server_factory()
    c = srv.jute()
    try:
        def srvr():
            return kv_lines(srv.four("srvr"), ":")

        def mntr():
            return dict(line.split("\t") for line in srv.four("mntr").splitlines())

        n0 = int(srvr()["Node count"])
        assert n0 == 5  # what ZooKeeper 3.8.0 reports for a fresh standalone tree (4 visible nodes)
        z = c.create("/a", b"12345").zxid
        d = srvr()
        assert int(d["Node count"]) == n0 + 1
        assert d["Zxid"] == "0x%x" % z
        c.create("/a/e", flags=jute.EPHEMERAL)
        c.get_data("/a", watch=True)
        c.exists("/nope", watch=True)
        m = mntr()
        assert int(m["zk_znode_count"]) == n0 + 2
        assert int(m["zk_ephemerals_count"]) == 1
        assert int(m["zk_watch_count"]) == 2
        assert int(m["zk_num_alive_connections"]) == 2  # c and this mntr connection
        assert m["zk_server_state"] == "standalone"
        assert int(m["zk_outstanding_requests"]) == 0
        wchs = srv.four("wchs")
        assert wchs == "1 connections watching 2 paths\nTotal watches:2\n"
    finally:
        c.close()
