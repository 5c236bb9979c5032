"""A tiny, synchronous, hand-rolled ZooKeeper (jute) client for tests.

kazoo 2.11 has no API for several 3.6+ operations (createContainer, createTTL,
addWatch, removeWatches, checkWatches, multiRead, getEphemerals,
getAllChildrenNumber, whoAmI, setWatches2), and it hides exact error codes and
byte layouts.  This module speaks the wire protocol directly: every call sends
one request frame and returns the raw reply (err code, zxid, decoded body).
Watch notifications (xid -1) that arrive while waiting are queued in
``client.events``.  Nothing here raises on a ZooKeeper error code: tests assert
on ``Reply.err``.

Record layouts follow zookeeper-jute/src/main/resources/zookeeper.jute (3.8).
"""

import socket
import struct
import time
from collections import namedtuple

# ---- opcodes (ZooDefs.OpCode) ------------------------------------------------
OP = dict(
    notification=0, create=1, delete=2, exists=3, getData=4, setData=5,
    getACL=6, setACL=7, getChildren=8, sync=9, ping=11, getChildren2=12,
    check=13, multi=14, create2=15, reconfig=16, checkWatches=17,
    removeWatches=18, createContainer=19, deleteContainer=20, createTTL=21,
    multiRead=22, auth=100, setWatches=101, sasl=102, getEphemerals=103,
    getAllChildrenNumber=104, setWatches2=105, addWatch=106, whoAmI=107,
    createSession=-10, closeSession=-11, error=-1,
)

# ---- error codes (KeeperException.Code) -------------------------------------
OK = 0
SYSTEMERROR = -1
RUNTIMEINCONSISTENCY = -2
DATAINCONSISTENCY = -3
CONNECTIONLOSS = -4
MARSHALLINGERROR = -5
UNIMPLEMENTED = -6
OPERATIONTIMEOUT = -7
BADARGUMENTS = -8
UNKNOWNSESSION = -12
APIERROR = -100
NONODE = -101
NOAUTH = -102
BADVERSION = -103
NOCHILDRENFOREPHEMERALS = -108
NODEEXISTS = -110
NOTEMPTY = -111
SESSIONEXPIRED = -112
INVALIDCALLBACK = -113
INVALIDACL = -114
AUTHFAILED = -115
SESSIONMOVED = -118
NOTREADONLY = -119
EPHEMERALONLOCALSESSION = -120
NOWATCHER = -121

# ---- create modes (CreateMode) ----------------------------------------------
PERSISTENT = 0
EPHEMERAL = 1
PERSISTENT_SEQUENTIAL = 2
EPHEMERAL_SEQUENTIAL = 3
CONTAINER = 4
PERSISTENT_WITH_TTL = 5
PERSISTENT_SEQUENTIAL_WITH_TTL = 6

# ---- watch related -----------------------------------------------------------
EV_NONE = -1
EV_CREATED = 1
EV_DELETED = 2
EV_DATA_CHANGED = 3
EV_CHILDREN_CHANGED = 4
EV_DATA_WATCH_REMOVED = 5
EV_CHILD_WATCH_REMOVED = 6
EV_PERSISTENT_WATCH_REMOVED = 7

STATE_SYNC_CONNECTED = 3

WATCHER_CHILDREN = 1
WATCHER_DATA = 2
WATCHER_ANY = 3

ADD_WATCH_PERSISTENT = 0
ADD_WATCH_PERSISTENT_RECURSIVE = 1

# ---- permissions (ZooDefs.Perms) --------------------------------------------
PERM_READ, PERM_WRITE, PERM_CREATE, PERM_DELETE, PERM_ADMIN = 1, 2, 4, 8, 16
PERM_ALL = 31

ACL = namedtuple("ACL", "perms scheme id")
OPEN_ACL_UNSAFE = [ACL(PERM_ALL, "world", "anyone")]
READ_ACL_UNSAFE = [ACL(PERM_READ, "world", "anyone")]
CREATOR_ALL_ACL = [ACL(PERM_ALL, "auth", "")]

WATCH_XID = -1
PING_XID = -2
AUTH_XID = -4
SET_WATCHES_XID = -8

Stat = namedtuple(
    "Stat",
    "czxid mzxid ctime mtime version cversion aversion ephemeralOwner "
    "dataLength numChildren pzxid",
)
STAT_FMT = struct.Struct(">qqqqiiiqiiq")
Reply = namedtuple("Reply", "xid zxid err body")
Event = namedtuple("Event", "type state path")


# ---- primitive encoders ------------------------------------------------------
def w_int(v):
    return struct.pack(">i", v)


def w_long(v):
    return struct.pack(">q", v)


def w_bool(v):
    return b"\x01" if v else b"\x00"


def w_buffer(b):
    if b is None:
        return w_int(-1)
    return w_int(len(b)) + bytes(b)


def w_string(s):
    if s is None:
        return w_int(-1)
    b = s.encode("utf-8")
    return w_int(len(b)) + b


def w_acls(acls):
    if acls is None:
        return w_int(-1)
    out = w_int(len(acls))
    for a in acls:
        out += w_int(a.perms) + w_string(a.scheme) + w_string(a.id)
    return out


def w_strings(items):
    if items is None:
        return w_int(-1)
    return w_int(len(items)) + b"".join(w_string(s) for s in items)


class Reader:
    def __init__(self, data, off=0):
        self.data = bytes(data)
        self.off = off

    def remaining(self):
        return len(self.data) - self.off

    def int(self):
        (v,) = struct.unpack_from(">i", self.data, self.off)
        self.off += 4
        return v

    def long(self):
        (v,) = struct.unpack_from(">q", self.data, self.off)
        self.off += 8
        return v

    def bool(self):
        v = self.data[self.off]
        self.off += 1
        return v != 0

    def buffer(self):
        n = self.int()
        if n < 0:
            return None
        v = self.data[self.off:self.off + n]
        if len(v) != n:
            raise ValueError("short buffer")
        self.off += n
        return v

    def string(self):
        b = self.buffer()
        return None if b is None else b.decode("utf-8")

    def stat(self):
        v = Stat._make(STAT_FMT.unpack_from(self.data, self.off))
        self.off += STAT_FMT.size
        return v

    def strings(self):
        n = self.int()
        if n < 0:
            return None
        return [self.string() for _ in range(n)]

    def acls(self):
        n = self.int()
        if n < 0:
            return None
        return [ACL(self.int(), self.string(), self.string()) for _ in range(n)]


# ---- request bodies ----------------------------------------------------------
def create_body(path, data=b"", acl=OPEN_ACL_UNSAFE, flags=PERSISTENT, ttl=None):
    b = w_string(path) + w_buffer(data) + w_acls(acl) + w_int(flags)
    if ttl is not None:
        b += w_long(ttl)
    return b


def path_version_body(path, version):
    return w_string(path) + w_int(version)


def path_watch_body(path, watch):
    return w_string(path) + w_bool(watch)


def set_data_body(path, data, version):
    return w_string(path) + w_buffer(data) + w_int(version)


def multi_body(ops):
    """ops: list of (opcode, body) tuples"""
    out = b""
    for code, body in ops:
        out += w_int(code) + w_bool(False) + w_int(-1) + body
    return out + w_int(-1) + w_bool(True) + w_int(-1)


# convenience constructors for multi ops
def op_create(path, data=b"", acl=OPEN_ACL_UNSAFE, flags=PERSISTENT):
    return (OP["create"], create_body(path, data, acl, flags))


def op_create2(path, data=b"", acl=OPEN_ACL_UNSAFE, flags=PERSISTENT):
    return (OP["create2"], create_body(path, data, acl, flags))


def op_delete(path, version=-1):
    return (OP["delete"], path_version_body(path, version))


def op_set(path, data, version=-1):
    return (OP["setData"], set_data_body(path, data, version))


def op_check(path, version):
    return (OP["check"], path_version_body(path, version))


def op_get_data(path):
    return (OP["getData"], path_watch_body(path, False))


def op_get_children(path):
    return (OP["getChildren"], path_watch_body(path, False))


def decode_multi(body):
    """Returns a list of (type, err, payload) for a multi/multiRead reply."""
    r = Reader(body)
    out = []
    while True:
        typ = r.int()
        done = r.bool()
        err = r.int()
        if done:
            break
        if typ == -1:
            payload = r.int()  # ErrorResponse.err
        elif typ in (OP["create"],):
            payload = r.string()
        elif typ in (OP["create2"], OP["createContainer"], OP["createTTL"]):
            payload = (r.string(), r.stat())
        elif typ == OP["setData"]:
            payload = r.stat()
        elif typ == OP["getData"]:
            payload = (r.buffer(), r.stat())
        elif typ == OP["getChildren"]:
            payload = r.strings()
        else:  # delete, check
            payload = None
        out.append((typ, err, payload))
    return out


class ZKProtocolError(Exception):
    pass


class JuteClient:
    """One session on one TCP connection; strictly request/response."""

    def __init__(self, host, port, timeout_ms=10000, session_id=0,
                 passwd=b"\x00" * 16, read_only=False, last_zxid=0,
                 io_timeout=10.0, connect=True):
        self.host, self.port = host, port
        self.io_timeout = io_timeout
        self.events = []
        self.xid = 0
        self.last_zxid = last_zxid
        self.sock = None
        self.session_id = None
        self.passwd = None
        self.negotiated_timeout = None
        self.connect_response = None
        if connect:
            self.connect(timeout_ms, session_id, passwd, read_only, last_zxid)

    # -- framing --
    def _open(self):
        self.sock = socket.create_connection((self.host, self.port), timeout=self.io_timeout)
        self.sock.settimeout(self.io_timeout)

    def send_frame(self, payload):
        self.sock.sendall(w_int(len(payload)) + payload)

    def _recv_exact(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise ConnectionError("connection closed by server after %d/%d bytes" % (len(buf), n))
            buf += chunk
        return buf

    def recv_frame(self):
        (n,) = struct.unpack(">i", self._recv_exact(4))
        return self._recv_exact(n)

    # -- session --
    def connect(self, timeout_ms=10000, session_id=0, passwd=b"\x00" * 16,
                read_only=False, last_zxid=0):
        self._open()
        req = (w_int(0) + w_long(last_zxid) + w_int(timeout_ms) + w_long(session_id)
               + w_buffer(passwd) + w_bool(read_only))
        self.send_frame(req)
        resp = self.recv_frame()
        self.connect_response = resp
        r = Reader(resp)
        proto = r.int()
        self.negotiated_timeout = r.int()
        self.session_id = r.long()
        self.passwd = r.buffer()
        self.read_only = r.bool() if r.remaining() else None
        self.protocol_version = proto
        return self

    def close_socket(self):
        if self.sock is not None:
            try:
                self.sock.close()
            except OSError:
                pass
            self.sock = None

    def close(self):
        """Send closeSession and wait for its reply, then close the socket."""
        if self.sock is None:
            return None
        try:
            rep = self.request(OP["closeSession"], b"")
        except (OSError, ConnectionError):
            rep = None
        self.close_socket()
        return rep

    # -- request/response --
    def next_xid(self):
        self.xid += 1
        return self.xid

    def _read_reply_for(self, xid):
        while True:
            frame = self.recv_frame()
            r = Reader(frame)
            rxid, zxid, err = r.int(), r.long(), r.int()
            if rxid == WATCH_XID:
                self.events.append(Event(r.int(), r.int(), r.string()))
                continue
            if zxid > 0:
                self.last_zxid = max(self.last_zxid, zxid)
            if rxid != xid:
                raise ZKProtocolError("expected xid %d, got %d (err %d)" % (xid, rxid, err))
            return Reply(rxid, zxid, err, frame[r.off:])

    def request(self, opcode, body=b"", xid=None):
        if xid is None:
            xid = self.next_xid()
        self.send_frame(w_int(xid) + w_int(opcode) + body)
        return self._read_reply_for(xid)

    def wait_events(self, n, timeout=10.0):
        """Block until at least n events are queued (reading frames); returns them all."""
        deadline = time.monotonic() + timeout
        while len(self.events) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("got %d of %d events: %r" % (len(self.events), n, self.events))
            self.sock.settimeout(min(left, 1.0))
            try:
                frame = self.recv_frame()
            except socket.timeout:
                continue
            finally:
                self.sock.settimeout(self.io_timeout)
            r = Reader(frame)
            rxid, zxid, err = r.int(), r.long(), r.int()
            if rxid == WATCH_XID:
                self.events.append(Event(r.int(), r.int(), r.string()))
            elif rxid == PING_XID:
                continue
            else:
                raise ZKProtocolError("unexpected reply xid %d while waiting for events" % rxid)
        return list(self.events)

    def take_events(self):
        ev, self.events = self.events, []
        return ev

    # -- operations --
    def ping(self):
        return self.request(OP["ping"], b"", xid=PING_XID)

    def create(self, path, data=b"", acl=OPEN_ACL_UNSAFE, flags=PERSISTENT):
        rep = self.request(OP["create"], create_body(path, data, acl, flags))
        path_out = Reader(rep.body).string() if rep.err == OK else None
        return rep._replace(body=path_out)

    def create2(self, path, data=b"", acl=OPEN_ACL_UNSAFE, flags=PERSISTENT):
        return self._create2_like(OP["create2"], create_body(path, data, acl, flags))

    def create_container(self, path, data=b"", acl=OPEN_ACL_UNSAFE):
        return self._create2_like(OP["createContainer"], create_body(path, data, acl, CONTAINER))

    def create_ttl(self, path, data=b"", acl=OPEN_ACL_UNSAFE, flags=PERSISTENT_WITH_TTL, ttl=1000):
        return self._create2_like(OP["createTTL"], create_body(path, data, acl, flags, ttl))

    def _create2_like(self, opcode, body):
        rep = self.request(opcode, body)
        if rep.err == OK:
            r = Reader(rep.body)
            return rep._replace(body=(r.string(), r.stat()))
        return rep._replace(body=None)

    def delete(self, path, version=-1):
        return self.request(OP["delete"], path_version_body(path, version))

    def exists(self, path, watch=False):
        rep = self.request(OP["exists"], path_watch_body(path, watch))
        return rep._replace(body=Reader(rep.body).stat() if rep.err == OK else None)

    def get_data(self, path, watch=False):
        rep = self.request(OP["getData"], path_watch_body(path, watch))
        if rep.err == OK:
            r = Reader(rep.body)
            return rep._replace(body=(r.buffer(), r.stat()))
        return rep._replace(body=None)

    def set_data(self, path, data, version=-1):
        rep = self.request(OP["setData"], set_data_body(path, data, version))
        return rep._replace(body=Reader(rep.body).stat() if rep.err == OK else None)

    def get_acl(self, path):
        rep = self.request(OP["getACL"], w_string(path))
        if rep.err == OK:
            r = Reader(rep.body)
            return rep._replace(body=(r.acls(), r.stat()))
        return rep._replace(body=None)

    def set_acl(self, path, acl, version=-1):
        rep = self.request(OP["setACL"], w_string(path) + w_acls(acl) + w_int(version))
        return rep._replace(body=Reader(rep.body).stat() if rep.err == OK else None)

    def get_children(self, path, watch=False):
        rep = self.request(OP["getChildren"], path_watch_body(path, watch))
        return rep._replace(body=Reader(rep.body).strings() if rep.err == OK else None)

    def get_children2(self, path, watch=False):
        rep = self.request(OP["getChildren2"], path_watch_body(path, watch))
        if rep.err == OK:
            r = Reader(rep.body)
            return rep._replace(body=(r.strings(), r.stat()))
        return rep._replace(body=None)

    def sync(self, path):
        rep = self.request(OP["sync"], w_string(path))
        return rep._replace(body=Reader(rep.body).string() if rep.err == OK else None)

    def multi(self, ops):
        rep = self.request(OP["multi"], multi_body(ops))
        return rep._replace(body=decode_multi(rep.body) if len(rep.body) else None)

    def multi_read(self, ops):
        rep = self.request(OP["multiRead"], multi_body(ops))
        return rep._replace(body=decode_multi(rep.body) if len(rep.body) else None)

    def check_watches(self, path, wtype=WATCHER_ANY):
        return self.request(OP["checkWatches"], w_string(path) + w_int(wtype))

    def remove_watches(self, path, wtype=WATCHER_ANY):
        return self.request(OP["removeWatches"], w_string(path) + w_int(wtype))

    def add_watch(self, path, mode=ADD_WATCH_PERSISTENT):
        return self.request(OP["addWatch"], w_string(path) + w_int(mode))

    def get_ephemerals(self, prefix="/"):
        rep = self.request(OP["getEphemerals"], w_string(prefix))
        return rep._replace(body=Reader(rep.body).strings() if rep.err == OK else None)

    def get_all_children_number(self, path):
        rep = self.request(OP["getAllChildrenNumber"], w_string(path))
        return rep._replace(body=Reader(rep.body).int() if rep.err == OK else None)

    def whoami(self):
        rep = self.request(OP["whoAmI"], b"")
        if rep.err == OK:
            r = Reader(rep.body)
            n = r.int()
            return rep._replace(body=[(r.string(), r.string()) for _ in range(max(n, 0))])
        return rep._replace(body=None)

    def add_auth(self, scheme, auth):
        if isinstance(auth, str):
            auth = auth.encode()
        return self.request(OP["auth"], w_int(0) + w_string(scheme) + w_buffer(auth), xid=AUTH_XID)

    def set_watches(self, rel_zxid, data=(), exist=(), child=()):
        body = w_long(rel_zxid) + w_strings(list(data)) + w_strings(list(exist)) + w_strings(list(child))
        return self.request(OP["setWatches"], body, xid=SET_WATCHES_XID)

    def set_watches2(self, rel_zxid, data=(), exist=(), child=(), persistent=(), recursive=()):
        body = (w_long(rel_zxid) + w_strings(list(data)) + w_strings(list(exist))
                + w_strings(list(child)) + w_strings(list(persistent)) + w_strings(list(recursive)))
        return self.request(OP["setWatches2"], body, xid=SET_WATCHES_XID)


def four_letter(host, port, cmd, timeout=10.0):
    """Send a four-letter word and read until the server closes."""
    with socket.create_connection((host, port), timeout=timeout) as s:
        s.sendall(cmd.encode() if isinstance(cmd, str) else cmd)
        data = b""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            data += chunk
        return data.decode("utf-8", "replace")
