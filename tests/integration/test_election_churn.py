"""Leader election under churn, multi-process: 5 `leader-election` example processes against
a 3-server ensemble (ZK_TARGET=tusk|zookeeper).  The test repeatedly kill -9s the current
leader (and restarts it) and SIGSTOPs the current leader for longer than the session
timeout (then SIGCONTs it), records a timeline from the processes' stdout lines
(timestamped by the test as they arrive) plus its own kill/stop/cont times, and checks:

* never two leaders at once.  A process leads from its "is now the leader" line until the
  first of: its "is no longer the leader" line, its kill -9, its SIGSTOP.
  The paused-process rule: a stopped process can do nothing, so its leadership ends at the
  SIGSTOP (the server expires its session after the timeout and elects someone else).
  After SIGCONT it still believes it leads until it notices; the recipe must not let it
  claim leadership again: its next leadership line must be "is no longer the leader", and
  that within a bound.  Whatever it could do in that window is what fencing tokens are for:
* fencing tokens never go backwards, and grow strictly from one leader to the next (the
  same token twice in a row is the same candidate node re-elected after a reconnect);
* after each kill and each pause a new leader appears within the session timeout + margin.

Every wait is bounded; only processes started here are signalled.
"""

import signal
import time

from .ensemble import Ensemble
from .examples import ExampleProcess
from .servers import target

SESSION_MS = 3000
# Expiry is detected on the server's tick (200 ms here), then the delete commits, the next
# candidate's watch fires and it re-reads the children: allow a few seconds on a busy box.
MARGIN = 4.0
NEW_LEADER_BOUND = SESSION_MS / 1000.0 + MARGIN
NAMES = ["worker-%d" % i for i in range(1, 6)]
ROUNDS = ["kill", "pause", "kill", "pause", "kill", "pause"]


class Worker:
    """One participant name; `gens` are its successive processes (restarted after kill -9)."""

    def __init__(self, name, hosts):
        self.name = name
        self.hosts = hosts
        self.gens = []
        self.start()

    def start(self):
        self.gens.append(ExampleProcess("leader-election", [
            "--server", self.hosts, "--name", self.name, "--session-timeout-ms", str(SESSION_MS)],
            label="%s#%d" % (self.name, len(self.gens))))

    @property
    def proc(self):
        return self.gens[-1]


class Timeline:
    def __init__(self, workers):
        self.workers = workers
        self.actions = []  # (time, action, label)

    def act(self, action, proc):
        t = time.monotonic()
        self.actions.append((t, action, proc.label))
        return t

    def ended_by_action(self, label, since):
        """The first kill/stop of process `label` at or after `since`."""
        for t, action, l in self.actions:
            if l == label and action in ("kill", "stop") and t >= since:
                return t
        return None

    def intervals(self, now=None):
        """[(start, end or None, token, label)] for every process's leadership."""
        out = []
        for w in self.workers:
            for p in w.gens:
                with p.cond:
                    lines = list(p.lines)
                start = token = None
                for t, line in lines:
                    if line == "%s is now the leader" % w.name:
                        assert start is None, (p.label, "elected twice without a revocation", lines)
                        start = t
                    elif line.startswith("%s fencing token " % w.name):
                        token = int(line.split()[-1])
                    elif line == "%s is no longer the leader" % w.name:
                        if start is not None:
                            cut = self.ended_by_action(p.label, start)
                            out.append((start, min(t, cut) if cut else t, token, p.label))
                        start = None
                if start is not None:
                    cut = self.ended_by_action(p.label, start)
                    out.append((start, cut, token, p.label))
        return sorted(out, key=lambda i: i[0])

    def current_leaders(self):
        return [i for i in self.intervals() if i[1] is None]

    def dump(self):
        events = [(t, "test", "%s %s" % (a, l)) for t, a, l in self.actions]
        for w in self.workers:
            for p in w.gens:
                events += [(t, p.label, line) for t, line in p.lines]
        t0 = min(e[0] for e in events) if events else 0
        return "\n".join("%8.3f %-12s %s" % (t - t0, who, line) for t, who, line in sorted(events))


def wait_single_leader(timeline, after, bound, what):
    """Waits for exactly one ongoing leadership that began after `after`."""
    deadline = after + bound
    while True:
        current = timeline.current_leaders()
        # (with its fencing token: that line follows the election line)
        fresh = [i for i in current if i[0] > after and i[2] is not None]
        if len(current) == 1 and fresh:
            return fresh[0]
        if time.monotonic() > deadline:
            raise AssertionError("no new leader within %.1fs after %s: current=%r\n%s"
                                 % (bound, what, current, timeline.dump()))
        time.sleep(0.02)


def test_election_churn_kill9_and_session_expiry():
    ensemble = Ensemble(3, kind=target()).start()
    workers = []
    timeline = Timeline(workers)
    try:
        began = time.monotonic()
        for name in NAMES:
            workers.append(Worker(name, ensemble.hosts))
        first = wait_single_leader(timeline, began, 30, "start")
        delays = []
        leader = first
        for round_no, kind in enumerate(ROUNDS):
            label = leader[3]
            worker = next(w for w in workers if w.proc.label == label)
            proc = worker.proc
            if kind == "kill":
                t = timeline.act("kill", proc)
                proc.kill()
                new = wait_single_leader(timeline, t, NEW_LEADER_BOUND, "kill -9 of %s" % label)
                worker.start()  # joins again at the back of the queue
            else:
                t = timeline.act("stop", proc)
                proc.signal(signal.SIGSTOP)
                new = wait_single_leader(timeline, t, NEW_LEADER_BOUND, "SIGSTOP of %s" % label)
                # Stay stopped well past the session timeout, then continue.
                time.sleep(max(0.0, t + SESSION_MS / 1000.0 + 0.5 - time.monotonic()))
                cont = timeline.act("cont", proc)
                proc.signal(signal.SIGCONT)
                # Its next leadership line after SIGCONT must be the revocation.
                _, seen, line = proc.wait_for(lambda l: l.endswith(" the leader"), 15,
                                              "leadership line after SIGCONT", start=len(proc.lines))
                assert line == "%s is no longer the leader" % worker.name, (line, timeline.dump())
                assert seen - cont < 10.0, timeline.dump()
            assert new[3] != label
            delays.append(new[0] - t)
            leader = new

        # Settle: exactly one leader, and every live process is a candidate again.
        final = wait_single_leader(timeline, began, 15, "the end")
        intervals = timeline.intervals()
        assert intervals[-1] == final
        # Never two leaders at once.
        for a, b in zip(intervals, intervals[1:]):
            assert a[1] is not None and a[1] <= b[0], ("overlapping leaders", a, b, timeline.dump())
        # Fencing tokens: never backwards; strictly up whenever the leader changes.
        for a, b in zip(intervals, intervals[1:]):
            assert a[2] is not None and b[2] is not None
            if a[3] == b[3] and a[2] == b[2]:
                continue
            assert b[2] > a[2], ("fencing token did not grow", a, b, timeline.dump())
        assert max(delays) <= NEW_LEADER_BOUND
        # Every round deposed its leader for another one (a paused process may lead again
        # later with a new node and a larger token).
        assert len(intervals) >= len(ROUNDS) + 1

        # Clean shutdown of everyone still running: step down, exit 0.
        for w in workers:
            w.proc.signal(signal.SIGTERM)
        for w in workers:
            assert w.proc.wait_exit(15) == 0, (w.proc.label, w.proc.stderr[-5:])
        print(timeline.dump())
        print("new-leader delays after kill/pause: %s" % ", ".join("%.2fs" % d for d in delays))
    finally:
        for w in workers:
            for p in w.gens:
                p.kill()
        ensemble.cleanup()
