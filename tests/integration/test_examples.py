"""The runnable examples (Sources/Examples, README "Examples") against a real server.

Each test starts the example binaries as processes, reads their stdout lines as they
arrive, and checks the behaviour the README promises.  Unique znode paths per test; every
wait is bounded; only the processes started here are signalled.
"""

import signal
import time

import pytest
from kazoo.exceptions import NoNodeError

from .examples import ExampleProcess, run_example

SESSION_MS = "4000"


@pytest.fixture
def procs():
    started = []

    def start(name, args, label=None):
        p = ExampleProcess(name, args, label)
        started.append(p)
        return p

    yield start
    for p in started:
        p.kill()


def children(zk, path):
    """Children of a recipe's container parent (reaped by the server once empty)."""
    try:
        return zk.get_children(path)
    except NoNodeError:
        return []


def wait_children(zk, path, n, timeout=15):
    deadline = time.monotonic() + timeout
    while len(children(zk, path)) != n:
        assert time.monotonic() < deadline, (path, n, children(zk, path))
        time.sleep(0.05)


def test_leader_election_one_leader_and_clean_handover(server, base, procs, zk):
    path = base + "/election"
    common = ["--server", server.hosts, "--path", path, "--session-timeout-ms", SESSION_MS]
    w1 = procs("leader-election", common + ["--name", "worker-1"], "worker-1")
    w1.wait_line("worker-1 is now the leader", 15)
    w2 = procs("leader-election", common + ["--name", "worker-2"], "worker-2")
    wait_children(zk, path, 2)
    w3 = procs("leader-election", common + ["--name", "worker-3"], "worker-3")
    wait_children(zk, path, 3)
    # Curator's LeaderLatch layout: _c_<uuid>-latch-<seq>, data = the participant id.
    names = sorted(zk.get_children(path), key=lambda n: n[-10:])
    assert all(n.startswith("_c_") and "-latch-" in n for n in names), names
    assert [zk.get(path + "/" + n)[0] for n in names] == [b"worker-1", b"worker-2", b"worker-3"]
    assert "worker-2 is now the leader" not in w2.text()
    assert "worker-3 is now the leader" not in w3.text()
    token1 = int(w1.wait_for(lambda l: l.startswith("worker-1 fencing token "), 5)[2].split()[-1])

    # Ctrl-C/SIGTERM: steps down, deletes its node, exits 0; the next in line leads at
    # once (well inside the session timeout: no expiry involved).
    stop_at = time.monotonic()
    w1.signal(signal.SIGTERM)
    assert w1.wait_exit(10) == 0
    w1.finish_output()
    assert w1.text()[-1] == "worker-1 is no longer the leader"
    _, t, _ = w2.wait_line("worker-2 is now the leader", 10)
    assert t - stop_at < 3.0
    token2 = int(w2.wait_for(lambda l: l.startswith("worker-2 fencing token "), 5)[2].split()[-1])
    assert token2 > token1
    assert len(children(zk, path)) == 2
    assert "worker-3 is now the leader" not in w3.text()

    w3.signal(signal.SIGINT)
    assert w3.wait_exit(10) == 0
    w3.finish_output()
    assert "worker-3 is now the leader" not in w3.text()
    w2.signal(signal.SIGTERM)
    assert w2.wait_exit(10) == 0
    w2.finish_output()
    assert w2.text()[-1] == "worker-2 is no longer the leader"
    assert children(zk, path) == []


def test_leader_election_usage_errors():
    code, out, err = run_example("leader-election", ["--server", "127.0.0.1:1"])
    assert code == 2 and "missing --name" in err and "usage: leader-election" in err
    code, out, _ = run_example("leader-election", ["--help"])
    assert code == 0 and out.startswith("usage: leader-election")


def test_distributed_lock_mutual_exclusion_and_fencing(server, base, procs, tmp_path, zk):
    path = base + "/lock"
    counter = tmp_path / "counter"
    counter.write_text("0\n")
    workers = [procs("distributed-lock",
                     ["--server", server.hosts, "--name", "w%d" % i, "--path", path, "--hold", "0.4",
                      "--work-interval-ms", "100", "--iterations", "3", "--counter-file", str(counter),
                      "--session-timeout-ms", SESSION_MS], "w%d" % i)
               for i in range(3)]
    for w in workers:
        assert w.wait_exit(60) == 0, w.stderr
        w.finish_output()
    assert counter.read_text().strip() == "9"  # 3 workers x 3 read-modify-writes, none lost
    # Clock-free ordering: each grant did one read-modify-write of the counter, so the
    # value it read orders the grants; the fencing tokens must grow in that order.
    grants = []  # (counter value read, token, worker)
    for i, w in enumerate(workers):
        token = None
        for line in w.text():
            if line.startswith("w%d acquired %s fencing token " % (i, path)):
                assert token is None
                token = int(line.split()[-1])
            elif line.startswith("w%d working with fencing token " % i):
                assert token is not None and ("token %d," % token) in line
                assert "-lock-" in line and "_c_" in line
            elif line.startswith("w%d counter " % i):
                before, after = line.split()[-3::2]
                assert int(after) == int(before) + 1
                grants.append((int(before), token, i))
            elif line == "w%d released %s" % (i, path):
                token = None
        assert token is None
    grants.sort()
    assert [g[0] for g in grants] == list(range(9)), grants
    assert all(a[1] < b[1] for a, b in zip(grants, grants[1:])), grants
    assert children(zk, path) == []


def test_distributed_lock_timeout_and_sigterm_while_holding(server, base, procs, zk):
    path = base + "/lock"
    common = ["--server", server.hosts, "--path", path, "--session-timeout-ms", SESSION_MS]
    holder = procs("distributed-lock", common + ["--name", "holder", "--hold", "60", "--work-interval-ms", "200"], "holder")
    holder.wait_for(lambda l: l.startswith("holder acquired "), 15)
    code, out, _ = run_example("distributed-lock", common + ["--name", "late", "--timeout", "0.5"])
    assert code == 1
    assert out.splitlines() == ["late waiting for %s" % path, "late timed out waiting for %s" % path]
    # The timed-out waiter removed its node; the holder still holds.
    assert len(children(zk, path)) == 1
    holder.signal(signal.SIGTERM)
    assert holder.wait_exit(10) == 0
    holder.finish_output()
    assert holder.text()[-1] == "holder released %s" % path
    assert children(zk, path) == []


def ring_blocks(proc):
    """The complete ring printouts so far: [(members, {key: owners})]."""
    blocks, current = [], None
    for line in proc.text():
        if line.startswith("members: "):
            current = ([m for m in line[9:].split(",") if m], {})
        elif line.startswith("ring: ") and current is not None:
            blocks.append(current)
            current = None
        elif current is not None and " -> " in line:
            key, owners = line.split(" -> ")
            current[1][key] = owners.split(",") if owners else []
    return blocks


def wait_ring(proc, members, timeout=15):
    deadline = time.monotonic() + timeout
    while True:
        for block in ring_blocks(proc):
            if block[0] == members:
                return block[1]
        assert time.monotonic() < deadline, (proc.label, members, proc.text()[-20:])
        time.sleep(0.05)


def test_sharding_reprints_ring_on_membership_change(server, base, procs):
    group = base + "/members"
    keys = ["user-%d" % i for i in range(12)]
    common = ["--server", server.hosts, "--group", group, "--replication-factor", "2", "--keys", ",".join(keys),
              "--session-timeout-ms", SESSION_MS]
    a = procs("sharding", common + ["--name", "node-a"], "node-a")
    alone = wait_ring(a, ["node-a"])
    assert alone == {k: ["node-a"] for k in keys}  # fewer members than the replication factor
    b = procs("sharding", common + ["--name", "node-b"], "node-b")
    c = procs("sharding", common + ["--name", "node-c"], "node-c")
    full = wait_ring(a, ["node-a", "node-b", "node-c"])
    # Every member computes the same ring from the same membership.
    assert wait_ring(b, ["node-a", "node-b", "node-c"]) == full
    assert wait_ring(c, ["node-a", "node-b", "node-c"]) == full
    assert sorted(full) == sorted(keys)
    for owners in full.values():
        assert len(owners) == 2 and len(set(owners)) == 2 and set(owners) <= {"node-a", "node-b", "node-c"}
    primaries = {owners[0] for owners in full.values()}
    assert len(primaries) >= 2  # 12 keys spread over more than one primary

    c.signal(signal.SIGTERM)
    assert c.wait_exit(10) == 0
    two = wait_ring(a, ["node-a", "node-b"])
    for key, owners in two.items():
        assert sorted(owners) == ["node-a", "node-b"]
        # Consistent hashing: a key whose primary survived keeps it.
        if full[key][0] != "node-c":
            assert owners[0] == full[key][0], (key, full[key], owners)

    observer = procs("sharding", common + ["--observe"], "observer")
    assert wait_ring(observer, ["node-a", "node-b"]) == two


def test_config_flags_put_get_list_and_watch(server, base, procs):
    root = base + "/config"
    common = ["--server", server.hosts, "--root", root]
    code, _, err = run_example("config-flags", common + ["get", "dark-mode"])
    assert code == 1 and "dark-mode is not set" in err
    assert run_example("config-flags", common + ["put", "dark-mode", "on"])[:2] == (0, "dark-mode=on\n")
    assert run_example("config-flags", common + ["get", "dark-mode"])[:2] == (0, "on\n")

    watcher = procs("config-flags", common + ["--watch", "--session-timeout-ms", SESSION_MS], "watcher")
    i, _, _ = watcher.wait_line("watching %s" % root, 15)
    assert watcher.text()[:i] == ["dark-mode=on"]
    steps = [(["put", "dark-mode", "off"], "dark-mode=off"),
             (["put", "new-checkout", "25%"], "new-checkout=25%"),
             (["put", "new-checkout", "50%"], "new-checkout=50%"),
             (["delete", "dark-mode"], "dark-mode deleted")]
    for command, expected in steps:
        assert run_example("config-flags", common + command)[0] == 0
        i, _, _ = watcher.wait_line(expected, 10, start=i + 1)
    assert watcher.text()[-4:] == [e for _, e in steps]
    assert run_example("config-flags", common + ["list"])[:2] == (0, "new-checkout=50%\n")

    watcher.signal(signal.SIGTERM)
    assert watcher.wait_exit(10) == 0
