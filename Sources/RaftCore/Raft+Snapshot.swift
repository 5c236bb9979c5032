/// InstallSnapshot (follower side) and ReadIndex.
extension Raft {
    /// Assembles snapshot chunks in order; the last one installs the snapshot.
    mutating func handleSnapshotChunk(_ m: Message) {
        guard let chunk = m.snapshot else { return }
        let meta = chunk.metadata
        func reply(_ have: UInt64, reject: Bool = false) {
            send(Message(type: .snapshotChunkResponse, to: m.from, index: meta.index, reject: reject, rejectHint: have))
        }
        if meta.index <= log.committed {
            // Already have everything it covers.
            incomingSnapshot = nil
            send(Message(type: .appendResponse, to: m.from, index: log.committed))
            return
        }
        if chunk.offset == 0 {
            incomingSnapshot = (meta, chunk.totalSize, [])
        }
        guard var inc = incomingSnapshot, inc.metadata == meta, inc.total == chunk.totalSize else {
            incomingSnapshot = nil
            reply(0, reject: true)
            return
        }
        if chunk.offset != UInt64(inc.data.count) {
            reply(UInt64(inc.data.count), reject: true)
            return
        }
        incomingSnapshot = nil  // avoid a copy while appending
        inc.data.append(contentsOf: chunk.data)
        if UInt64(inc.data.count) < inc.total {
            incomingSnapshot = inc
            reply(UInt64(inc.data.count))
            return
        }
        let snap = Snapshot(metadata: meta, data: inc.data)
        if restore(snap) {
            send(Message(type: .appendResponse, to: m.from, index: log.lastIndex()))
        } else {
            send(Message(type: .appendResponse, to: m.from, index: log.committed))
        }
    }

    /// Installs `s` unless the log already covers it. Returns true if the state changed.
    mutating func restore(_ s: Snapshot) -> Bool {
        let meta = s.metadata
        if meta.index <= log.committed { return false }
        if role != .follower { return false }
        if log.matchTerm(meta.index, meta.term) {
            // Our log already has the snapshot's last entry: just commit up to it.
            log.commitTo(meta.index)
            return false
        }
        log.restore(s)
        configHistory = [(meta.index, meta.configuration)]
        progress = [:]
        applyConfiguration()
        return true
    }

    // MARK: - ReadIndex

    mutating func handleReadIndexAtLeader(_ m: Message) {
        let index = log.committed
        if readRequests.contains(where: { $0.context == m.context }) { return }
        var acks: [NodeID: Bool] = [:]
        if config.isVoter(id) { acks[id] = true }
        readRequests.append(ReadIndexRequest(index: index, from: m.from, context: m.context, acks: acks))
        if Quorum.voteResult(voters: config.voters, votes: acks) == .won {
            readIndexAcked(from: id, context: m.context)
        } else {
            bcastHeartbeat(context: m.context)
        }
    }

    /// A heartbeat echoing `context` came back: release every read request up to it
    /// once a quorum has acknowledged our leadership.
    mutating func readIndexAcked(from: NodeID, context: [UInt8]) {
        guard let pos = readRequests.firstIndex(where: { $0.context == context }) else { return }
        if config.isVoter(from) { readRequests[pos].acks[from] = true }
        guard Quorum.voteResult(voters: config.voters, votes: readRequests[pos].acks) == .won else { return }
        let done = readRequests[0...pos]
        readRequests.removeFirst(pos + 1)
        for req in done {
            answerReadIndex(Message(type: .readIndex, from: req.from, context: req.context), index: req.index)
        }
    }

    mutating func answerReadIndex(_ m: Message, index: UInt64) {
        if m.from == noneNode || m.from == id {
            readStates.append(ReadState(index: index, context: m.context))
        } else {
            send(Message(type: .readIndexResponse, to: m.from, index: index, context: m.context))
        }
    }
}
