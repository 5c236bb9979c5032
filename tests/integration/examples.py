"""Run the example binaries (Sources/Examples) as processes and timestamp their stdout.

Every line is stamped with time.monotonic() by a reader thread the moment it arrives (the
examples write whole lines unbuffered), so tests can build timelines from several processes.
Only processes started here are signalled; every wait is bounded.
"""

import os
import signal
import subprocess
import threading
import time

from .servers import REPO

BIN_DIR = os.environ.get("EXAMPLES_BIN_DIR", os.path.join(REPO, ".build", "debug"))


def example_bin(name):
    path = os.path.join(BIN_DIR, name)
    if not os.path.exists(path):
        raise AssertionError("%s not built: run `swift build --product %s` (or set EXAMPLES_BIN_DIR)" % (path, name))
    return path


class ExampleProcess:
    def __init__(self, name, args, label=None, argv=None, stdin=False):
        """Runs example `name` with `args`, or any command `argv` (stdin=True: a pipe for send())."""
        self.label = label or name
        self.argv = argv or [example_bin(name)] + list(args)
        self.lines = []          # (monotonic time, line)
        self.stderr = []
        self.cond = threading.Condition()
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.PIPE if stdin else subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, start_new_session=True)
        self.started_at = time.monotonic()
        self._threads = [threading.Thread(target=self._pump, args=(self.proc.stdout, self.lines), daemon=True),
                         threading.Thread(target=self._pump, args=(self.proc.stderr, self.stderr), daemon=True)]
        for t in self._threads:
            t.start()

    def _pump(self, stream, sink):
        for raw in iter(stream.readline, b""):
            now = time.monotonic()
            with self.cond:
                sink.append((now, raw.decode("utf-8", "replace").rstrip("\n")))
                self.cond.notify_all()
        with self.cond:
            self.cond.notify_all()

    def text(self):
        with self.cond:
            return [l for _, l in self.lines]

    def wait_for(self, predicate, timeout, what="condition", start=0):
        """Waits until predicate(line) holds for a line at index >= start; returns (index, time, line)."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for i in range(start, len(self.lines)):
                    if predicate(self.lines[i][1]):
                        return i, self.lines[i][0], self.lines[i][1]
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError("%s: no %s within %ss; stdout=%r stderr=%r"
                                         % (self.label, what, timeout, self.text()[-30:], self.stderr[-10:]))
                self.cond.wait(min(left, 0.2))

    def wait_line(self, line, timeout, start=0):
        return self.wait_for(lambda l: l == line, timeout, repr(line), start)

    def send(self, line):
        self.proc.stdin.write((line + "\n").encode())
        self.proc.stdin.flush()

    def signal(self, sig):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)

    def wait_exit(self, timeout):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError("%s did not exit within %ss; stdout=%r stderr=%r"
                                 % (self.label, timeout, self.text()[-20:], self.stderr[-10:]))

    def finish_output(self, timeout=5):
        for t in self._threads:
            t.join(timeout)

    def kill(self):
        if self.proc.poll() is None:
            try:
                os.kill(self.proc.pid, signal.SIGCONT)
            except OSError:
                pass
            self.proc.kill()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            pass


def run_example(name, args, timeout=30):
    """Runs an example to completion; returns (exit code, stdout, stderr)."""
    p = subprocess.run([example_bin(name)] + list(args), stdin=subprocess.DEVNULL, capture_output=True,
                       timeout=timeout)
    return p.returncode, p.stdout.decode(), p.stderr.decode()
