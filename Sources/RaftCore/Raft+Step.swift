/// Message handling: the term rules first, then a per-role step function.
extension Raft {
    mutating func step(_ m: Message) {
        if m.term == 0 {
            // Local message or forwarded proposal/read.
        } else if m.term > term {
            if m.type == .vote || m.type == .preVote {
                let force = m.context == campaignTransferContext
                let inLease = cfg.checkQuorum && lead != noneNode && electionElapsed < cfg.electionTick
                if !force && inLease {
                    // We heard from a leader recently: do not let a partitioned or
                    // removed node disrupt it.
                    return
                }
            }
            switch m.type {
            case .preVote:
                break  // never change term on a pre-vote request
            case .preVoteResponse where !m.reject:
                break  // a granted pre-vote carries the future term; wait for a quorum
            default:
                if m.type == .append || m.type == .heartbeat || m.type == .snapshotChunk {
                    becomeFollower(term: m.term, lead: m.from)
                } else {
                    becomeFollower(term: m.term, lead: noneNode)
                }
            }
        } else if m.term < term {
            if (cfg.checkQuorum || cfg.preVote) && (m.type == .heartbeat || m.type == .append) {
                // A stale leader (e.g. after a partition heals): tell it our term.
                send(Message(type: .appendResponse, to: m.from))
            } else if m.type == .preVote {
                send(Message(type: .preVoteResponse, to: m.from, term: term, reject: true))
            } else if m.type == .vote {
                // Tell a stale candidate our term (the paper's RequestVote reply carries
                // currentTerm). Without it, a candidate that no higher-term node ever
                // contacts — e.g. one outside that node's configuration after diverging
                // uncommitted membership changes — can stay behind forever (raft-sim seed
                // 2026112622330 livelocked that way with pre-vote off).
                send(Message(type: .voteResponse, to: m.from, term: term, reject: true))
            }
            return
        }

        switch m.type {
        case .hup:
            hup(transfer: false)
        case .vote, .preVote:
            handleVoteRequest(m)
        default:
            switch role {
            case .leader: stepLeader(m)
            case .candidate, .preCandidate: stepCandidate(m)
            case .follower: stepFollower(m)
            }
        }
    }

    mutating func hup(transfer: Bool) {
        if role == .leader || !isPromotable { return }
        if cfg.preVote && !transfer {
            campaign(preVote: true, transfer: false)
        } else {
            campaign(preVote: false, transfer: transfer)
        }
    }

    mutating func campaign(preVote: Bool, transfer: Bool) {
        let voteTerm: UInt64
        if preVote {
            becomePreCandidate()
            voteTerm = term + 1
        } else {
            becomeCandidate()
            voteTerm = term
        }
        if poll(id, granted: true) == .won {
            // A single voter wins at once (learners still need the new entry).
            if preVote {
                campaign(preVote: false, transfer: transfer)
            } else {
                becomeLeader()
                bcastAppend()
            }
            return
        }
        let lastIndex = log.lastIndex()
        let lastTerm = log.lastTerm()
        for peer in config.voters where peer != id {
            send(Message(type: preVote ? .preVote : .vote, to: peer, term: voteTerm, logTerm: lastTerm,
                         index: lastIndex, context: transfer ? campaignTransferContext : []))
        }
    }

    mutating func poll(_ from: NodeID, granted: Bool) -> Quorum.VoteResult {
        if votes[from] == nil { votes[from] = granted }
        return Quorum.voteResult(voters: config.voters, votes: votes)
    }

    mutating func handleVoteRequest(_ m: Message) {
        let canVote = vote == m.from
            || (vote == noneNode && lead == noneNode)
            || (m.type == .preVote && m.term > term)
        let upToDate = cfg.unsafeTestingFlags.contains(.voteWithoutLogCheck)
            || log.isUpToDate(lastIndex: m.index, term: m.logTerm)
        let respType: MessageType = m.type == .vote ? .voteResponse : .preVoteResponse
        if canVote && upToDate {
            send(Message(type: respType, to: m.from, term: m.term))
            if m.type == .vote {
                electionElapsed = 0
                vote = m.from
            }
        } else {
            send(Message(type: respType, to: m.from, term: term, reject: true))
        }
    }

    // MARK: - Leader

    mutating func stepLeader(_ m: Message) {
        switch m.type {
        case .beat:
            bcastHeartbeat()
            return
        case .checkQuorum:
            if !quorumActive() {
                becomeFollower(term: term, lead: noneNode)
            }
            for peer in progress.keys.sorted() where peer != id { progress[peer]!.recentActive = false }
            return
        case .propose:
            // Handled by RawNode.propose (which can report errors); forwarded proposals land here.
            var ents = m.entries
            _ = leaderPropose(&ents)
            return
        case .readIndex:
            if config.voters == [id] {
                answerReadIndex(Message(type: .readIndex, from: m.from, context: m.context), index: log.committed)
            } else if !committedEntryInCurrentTerm {
                pendingReadIndexMessages.append(m)
            } else {
                handleReadIndexAtLeader(m)
            }
            return
        case .transferLeader:
            handleTransferLeader(m)
            return
        default:
            break
        }

        // Taken out of the table while it is modified, so that its inflight buffer is
        // uniquely referenced (no copy-on-write per acknowledgement). Every path below
        // puts it back before calling anything that reads `progress`.
        guard var pr = progress.removeValue(forKey: m.from) else { return }
        switch m.type {
        case .appendResponse:
            pr.recentActive = true
            if m.reject {
                var nextProbe = m.rejectHint
                if m.logTerm > 0 {
                    nextProbe = log.findConflictByTerm(index: m.rejectHint, term: m.logTerm).index
                }
                if pr.maybeDecrTo(rejected: m.index, matchHint: nextProbe) {
                    if pr.state == .replicate { pr.becomeProbe() }
                    progress[m.from] = pr
                    sendAppend(to: m.from)
                } else {
                    progress[m.from] = pr
                }
                return
            }
            let oldPaused = pr.isPaused
            let updated = pr.maybeUpdate(m.index)
            if updated || (pr.state == .snapshot && pr.match >= pr.pendingSnapshot) {
                switch pr.state {
                case .probe:
                    pr.becomeReplicate()
                case .snapshot:
                    if pr.match + 1 >= log.firstIndex() {
                        pr.becomeProbe()
                        pr.becomeReplicate()
                    } else if pr.match >= pr.pendingSnapshot {
                        // It installed a snapshot we have since compacted past: send a newer one.
                        pr.becomeProbe()
                    }
                case .replicate:
                    pr.inflights.freeLE(m.index)
                }
                progress[m.from] = pr
                if maybeCommit() {
                    if role == .leader { bcastAppend() }
                } else if oldPaused {
                    sendAppend(to: m.from)
                }
                guard role == .leader else { return }
                // Pipelining: fill the in-flight window.
                var budget = cfg.maxInflightMessages
                while budget > 0 && maybeSendAppend(to: m.from, sendIfEmpty: false) { budget -= 1 }
                if m.from == leadTransferee && progress[m.from]?.match == log.lastIndex() {
                    sendTimeoutNow(to: m.from)
                }
            } else {
                progress[m.from] = pr
            }
        case .heartbeatResponse:
            pr.recentActive = true
            pr.msgAppFlowPaused = false
            if pr.state == .replicate && pr.inflights.isFull { pr.inflights.freeFirstOne() }
            progress[m.from] = pr
            if pr.state == .snapshot {
                sendSnapshotChunk(to: m.from, pr)
            } else if pr.match < log.lastIndex() {
                sendAppend(to: m.from)
            }
            if !m.context.isEmpty { readIndexAcked(from: m.from, context: m.context) }
        case .snapshotChunkResponse:
            pr.recentActive = true
            progress[m.from] = pr
            guard pr.state == .snapshot && m.index == pr.pendingSnapshot else { return }
            pr.snapshotOffset = m.rejectHint
            progress[m.from] = pr
            if let snap = outgoingSnapshots[m.from], m.rejectHint < UInt64(snap.data.count) || m.reject {
                sendSnapshotChunk(to: m.from, pr)
            }
        default:
            progress[m.from] = pr
        }
    }

    /// Appends proposed entries at the leader. Returns false if dropped.
    mutating func leaderPropose(_ ents: inout [Entry]) -> Bool {
        if progress[id] == nil || leadTransferee != noneNode { return false }
        let size = ents.reduce(0) { $0 + UInt64($1.data.count) }
        let limit = cfg.maxUncommittedEntriesBytes
        if limit > 0 && uncommittedSize > 0 && uncommittedSize + size > limit { return false }
        uncommittedSize += size
        for i in ents.indices where ents[i].type == .configuration {
            if !canChangeConfiguration {
                ents[i] = Entry(term: 0, index: 0)  // keep the batch, drop the change
            }
        }
        appendEntries(&ents)
        forEachPeer { r, p in _ = r.maybeSendAppend(to: p, sendIfEmpty: false) }
        return true
    }

    func quorumActive() -> Bool {
        var active: [NodeID: Bool] = [:]
        for v in config.voters {
            active[v] = v == id || (progress[v]?.recentActive ?? false)
        }
        return Quorum.voteResult(voters: config.voters, votes: active.filter { $0.value }) == .won
    }

    mutating func handleTransferLeader(_ m: Message) {
        let transferee = m.from
        guard let pr = progress[transferee], !pr.isLearner, config.isVoter(transferee) else { return }
        if leadTransferee != noneNode {
            if leadTransferee == transferee { return }
            leadTransferee = noneNode
        }
        if transferee == id { return }
        electionElapsed = 0
        leadTransferee = transferee
        if pr.match == log.lastIndex() {
            sendTimeoutNow(to: transferee)
        } else {
            sendAppend(to: transferee)
        }
    }

    // MARK: - Candidate and follower

    mutating func stepCandidate(_ m: Message) {
        let myRespType: MessageType = role == .preCandidate ? .preVoteResponse : .voteResponse
        switch m.type {
        case .propose:
            return  // dropped: no leader
        case .append:
            becomeFollower(term: m.term, lead: m.from)
            handleAppendEntries(m)
        case .heartbeat:
            becomeFollower(term: m.term, lead: m.from)
            handleHeartbeat(m)
        case .snapshotChunk:
            becomeFollower(term: m.term, lead: m.from)
            handleSnapshotChunk(m)
        case myRespType:
            switch poll(m.from, granted: !m.reject) {
            case .won:
                if role == .preCandidate { campaign(preVote: false, transfer: false) } else {
                    becomeLeader()
                    bcastAppend()
                }
            case .lost:
                becomeFollower(term: term, lead: noneNode)
            case .pending:
                break
            }
        default:
            break
        }
    }

    mutating func stepFollower(_ m: Message) {
        switch m.type {
        case .propose, .readIndex, .transferLeader:
            if lead == noneNode { return }
            var fwd = m
            fwd.to = lead
            if m.type == .transferLeader { fwd.from = m.from }
            send(fwd)
        case .append:
            electionElapsed = 0
            lead = m.from
            handleAppendEntries(m)
        case .heartbeat:
            electionElapsed = 0
            lead = m.from
            handleHeartbeat(m)
        case .snapshotChunk:
            electionElapsed = 0
            lead = m.from
            handleSnapshotChunk(m)
        case .timeoutNow:
            hup(transfer: true)
        case .readIndexResponse:
            readStates.append(ReadState(index: m.index, context: m.context))
        default:
            break
        }
    }

    mutating func handleAppendEntries(_ m: Message) {
        if m.index < log.committed {
            send(Message(type: .appendResponse, to: m.from, index: log.committed))
            return
        }
        if let (last, written) = log.maybeAppend(index: m.index, logTerm: m.logTerm, committed: m.commit, entries: m.entries) {
            if written != 0 { noteAppended(m.entries, written: written) }
            send(Message(type: .appendResponse, to: m.from, index: last))
        } else {
            let hint = log.findConflictByTerm(index: min(m.index, log.lastIndex()), term: m.logTerm)
            send(Message(type: .appendResponse, to: m.from, logTerm: hint.term, index: m.index,
                         reject: true, rejectHint: hint.index))
        }
    }

    mutating func handleHeartbeat(_ m: Message) {
        log.commitTo(min(m.commit, log.lastIndex()))
        send(Message(type: .heartbeatResponse, to: m.from, context: m.context))
    }
}
