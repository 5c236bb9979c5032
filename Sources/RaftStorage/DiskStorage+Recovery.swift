import RaftCore

extension DiskStorage {
    /// Loads the newest snapshot and the hard state, replays every segment, cuts a
    /// torn tail, refuses mid-log corruption, then opens a fresh segment for writing.
    func recover(snapshotRead: ((Snapshot) -> Void)? = nil) throws(DiskStorageError) {
        for name in try FileIO.list(directory) where name.hasSuffix(".tmp") { try FileIO.remove(directory + "/" + name) }
        for name in try FileIO.list(snapDir) where name.hasSuffix(".tmp") { try FileIO.remove(snapDir + "/" + name) }

        var snap = Snapshot()
        let snapNames = try FileIO.list(snapDir).filter { SnapshotFile.parseName($0) != nil }
            .sorted { SnapshotFile.parseName($0)! < SnapshotFile.parseName($1)! }
        if let newest = snapNames.last {
            let path = snapDir + "/" + newest
            snap = try SnapshotFile.read(path)
            if !snap.isEmpty {
                try! mem.applySnapshot(withoutData(snap, file: path))
                recoveredSnapshot = snap
                snapshotRead?(snap)
            }
        }
        recovery.snapshotIndex = snap.metadata.index

        var hs = HardState()
        let hsPath = directory + "/hardstate"
        if FileIO.exists(hsPath) { hs = try HardStateFile.decode(try FileIO.readAll(hsPath), file: hsPath) }
        persistedHardState = hs

        // Replay.
        let baseIndex = snap.metadata.index
        let baseTerm = snap.metadata.term
        var ents: [Entry] = []
        var termAtBase: UInt64?
        var commit = hs.commit
        let segNames = try FileIO.list(walDir).compactMap { n in SegmentFormat.parse(n).map { (n, $0.0, $0.1) } }
            .sorted { $0.1 < $1.1 }
        for (k, (name, seq, first)) in segNames.enumerated() {
            let path = walDir + "/" + name
            let bytes = try FileIO.readAll(path)
            let scan = try SegmentFormat.scan(bytes, file: path, isLast: k == segNames.count - 1)
            var maxIndex: UInt64 = 0
            for (rec, offset) in scan.records {
                recovery.records += 1
                switch rec {
                case .entry(let e):
                    maxIndex = max(maxIndex, e.index)
                    if e.index <= baseIndex {
                        if e.index == baseIndex { termAtBase = e.term }
                        continue
                    }
                    let expected = baseIndex + UInt64(ents.count) + 1
                    if e.index > expected {
                        throw .corruption(file: path, offset: offset,
                                          reason: "entry \(e.index) leaves a gap after \(expected - 1)")
                    }
                    ents.removeSubrange(Int(e.index - baseIndex - 1)...)
                    ents.append(e)
                case .snapshotMarker(let index, let term):
                    if index > snap.metadata.index {
                        throw .corruption(file: path, offset: offset,
                                          reason: "log reset to snapshot \(index), but the newest snapshot file is \(snap.metadata.index)")
                    }
                    // Everything before the marker belongs to a discarded log.
                    ents = []
                    termAtBase = index == baseIndex ? term : nil
                case .commit(let c):
                    commit = max(commit, c)
                }
            }
            if let torn = scan.tornTailAt {
                try FileIO.truncate(path, to: torn)
                recovery.truncatedTail = (path, torn, bytes.count - torn)
            }
            segments.append(Segment(seq: seq, firstIndex: first, name: name, maxIndex: maxIndex))
        }
        recovery.segments = segNames.count
        // Entries after the snapshot only count if the log agrees with it at its index.
        if let t = termAtBase, t != baseTerm { ents = [] }
        if !ents.isEmpty { try! mem.append(ents) }
        let last = try! mem.lastIndex()
        commit = min(max(commit, snap.metadata.index), last)
        lastCommitRecord = commit
        mem.setHardState(HardState(term: hs.term, vote: hs.vote, commit: commit))
        try rotate()
    }
}
