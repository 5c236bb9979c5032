import ZooKeeperWire

/// What each request of a load run is: the op mix, the keyspace and the payload.
struct Workload: Sendable {
    enum Op: Sendable, Equatable, CustomStringConvertible {
        case create, set, get, exists, getChildren, multi
        /// `readPercent` % getData on random keys, the rest setData.
        case mixed(readPercent: Int)

        static func parse(_ s: String) throws -> Op {
            switch s {
            case "create": return .create
            case "set": return .set
            case "get": return .get
            case "exists": return .exists
            case "getChildren": return .getChildren
            case "multi": return .multi
            default:
                if s.hasPrefix("mixed:"), let r = Int(s.dropFirst(6)), (0...100).contains(r) { return .mixed(readPercent: r) }
                throw BenchOptionsError(message: "unknown --op \(s) (create|set|get|exists|getChildren|multi|mixed:R)")
            }
        }

        var description: String {
            switch self {
            case .create: "create"
            case .set: "set"
            case .get: "get"
            case .exists: "exists"
            case .getChildren: "getChildren"
            case .multi: "multi"
            case .mixed(let r): "mixed:\(r)"
            }
        }

        /// Whether the run needs the pre-created keyspace.
        var needsKeys: Bool { self != .create }
    }

    /// Tags carried with each outstanding request (to count reads and writes apart).
    enum Kind: UInt32 { case read = 0, write = 1 }

    let op: Op
    let root: String
    /// `root/keys`: the pre-created keyspace; getChildren lists it.
    let keysParent: String
    /// `root/c-<run>`: the parent of the nodes a create run makes.
    let createParent: String
    let keyPaths: [String]
    let data: [UInt8]
    let multiOps: Int

    init(op: Op, root: String, keys: Int, size: Int, multiOps: Int, runId: String) {
        self.op = op
        self.root = root
        self.keysParent = root + "/keys"
        self.createParent = root + "/c-" + runId
        self.keyPaths = op.needsKeys ? (0..<keys).map { "\(root)/keys/k\($0)" } : []
        self.data = (0..<size).map { UInt8(truncatingIfNeeded: 97 + $0 % 26) }
        self.multiOps = multiOps
    }

    /// The requests that prepare the server: root, parents, then the keyspace (NODEEXISTS is fine).
    func setupRequests() -> [ZooKeeperRequest] {
        var r: [ZooKeeperRequest] = [.create(CreateRequest(path: root)), .create(CreateRequest(path: keysParent))]
        if op == .create { r.append(.create(CreateRequest(path: createParent))) }
        for p in keyPaths { r.append(.create(CreateRequest(path: p, data: data))) }
        return r
    }

    /// The next request for one connection.
    func next(rng: inout SplitMix64, connection: Int, seq: inout Int) -> (ZooKeeperRequest, Kind) {
        switch op {
        case .create:
            seq += 1
            return (.create(CreateRequest(path: "\(createParent)/n\(connection)-\(seq)", data: data)), .write)
        case .set:
            return (.setData(SetDataRequest(path: randomKey(&rng), data: data)), .write)
        case .get:
            return (.getData(PathWatchRequest(path: randomKey(&rng))), .read)
        case .exists:
            return (.exists(PathWatchRequest(path: randomKey(&rng))), .read)
        case .getChildren:
            return (.getChildren(PathWatchRequest(path: keysParent)), .read)
        case .multi:
            let ops = (0..<multiOps).map { _ in ZooKeeperRequest.setData(SetDataRequest(path: randomKey(&rng), data: data)) }
            return (.multi(ops), .write)
        case .mixed(let readPercent):
            if Int(rng.next() % 100) < readPercent {
                return (.getData(PathWatchRequest(path: randomKey(&rng))), .read)
            }
            return (.setData(SetDataRequest(path: randomKey(&rng), data: data)), .write)
        }
    }

    private func randomKey(_ rng: inout SplitMix64) -> String {
        keyPaths[Int(rng.next() % UInt64(keyPaths.count))]
    }
}

/// A small, fast, seedable generator (one per connection; no shared state).
struct SplitMix64: RandomNumberGenerator, Sendable {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
