import RaftCore

extension Simulation {
    /// Random events of the fault phase; each has a per-tick probability from the plan.
    func injectFaults() {
        let maxDown = (options.nodes - 1) / 2 + 1  // sometimes more than a minority: availability may go
        let down = ids.filter { !nodes[$0]!.isUp }
        if down.count < maxDown, rng.chance(plan.crash),
           let victim = rng.chance(0.5) ? (leader ?? rng.pick(upNodes)) : rng.pick(upNodes) {
            crash(victim)
        }
        if rng.chance(plan.restart), let id = rng.pick(down) {
            restart(nodes[id]!)
        }
        if rng.chance(plan.partition) {
            var side: [NodeID] = []
            for id in ids where rng.chance(0.5) { side.append(id) }
            let others = ids.filter { !side.contains($0) }
            net.partition(side, others)
            log("partition \(side) | \(others)")
        }
        if rng.chance(plan.oneWay), let a = rng.pick(ids), let b = rng.pick(ids), a != b {
            net.block(a, b)
            log("cut link \(a) -> \(b)")
        }
        if net.hasPartitions && rng.chance(plan.heal) {
            net.heal()
            log("heal")
        }
        if rng.chance(plan.slowDisk), let n = rng.pick(ids) {
            let latency = rng.chance(0.5) ? rng.int(1...8) : 0
            nodes[n]!.disk.syncLatency = latency
            log("node \(n) sync latency \(latency)")
        }
        if rng.chance(plan.networkChange) {
            net.faults = Self.randomFaults(&rng)
            log("network \(net.faults)")
        }
        if rng.chance(plan.transfer), let l = leader, let target = rng.pick(l.raw!.configuration.voters) {
            l.raw!.transferLeadership(to: target)
            log("transfer leadership \(l.id) -> \(target)")
        }
        if rng.chance(plan.membership) { changeMembership() }
        if rng.chance(plan.propose) { propose() }
        if rng.chance(plan.read), let n = rng.pick(upNodes) {
            let id = nextRead
            nextRead += 1
            checker.readIssued(id: id)
            n.raw!.readIndex(context: le64(id))
            log("read \(id) at \(n.id)")
        }
    }

    func le64(_ v: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: v >> UInt64(8 * $0)) } }

    func crash(_ n: SimNode) {
        n.crash()
        if rng.chance(0.5) { net.dropInFlight(from: n.id) }
        stats.crashes += 1
        log("crash \(n.id)")
    }

    func restart(_ n: SimNode) {
        n.restarts += 1
        n.start(config: raftConfig, random: rng.fork())
        log("restart \(n.id) (durable last index \(n.raw!.lastIndex), term \(n.raw!.term))")
    }

    /// A client proposal to a random live node (followers forward to the leader).
    func propose(to target: SimNode? = nil) {
        guard let n = target ?? rng.pick(upNodes) else { return }
        let pid = nextProposal
        nextProposal += 1
        var data = le64(pid)
        for _ in 0..<rng.int(0...40) { data.append(UInt8(truncatingIfNeeded: rng.next())) }
        do {
            try n.raw!.propose(data)
            log("propose \(pid) at \(n.id)")
        } catch {
            log("propose \(pid) at \(n.id) dropped: \(error)")
        }
    }

    /// One single-server change at the leader: remove a member (possibly the leader),
    /// add a fresh learner, or promote a learner.
    func changeMembership() {
        guard let l = leader, l.raw!.canChangeConfiguration else { return }
        let conf = l.raw!.configuration
        let change: ConfChange
        var newNode: NodeID?
        let roll = rng.int(0...2)
        if roll == 0 && conf.voters.count > max(2, options.nodes - 1), let victim = rng.pick(conf.voters) {
            change = .remove(victim)
        } else if roll == 0, let victim = rng.pick(conf.learners) {
            change = .remove(victim)
        } else if roll == 1 && conf.allMembers.count <= options.nodes {
            let id = (ids.max() ?? 0) + 1
            change = .addLearner(id)
            newNode = id
        } else if let learner = rng.pick(conf.learners), conf.voters.count < options.nodes + 1 {
            change = .addVoter(learner)
        } else {
            return
        }
        do {
            try l.raw!.proposeConfChange(change)
            stats.confChanges += 1
            log("propose \(change) at leader \(l.id)")
            if let id = newNode { addNode(id, initialPeers: []) }
        } catch {
            log("conf change \(change) refused: \(error)")
        }
    }

    // MARK: - Liveness

    /// Faults stop: heal the network, speed up disks, restart everyone. Within
    /// `livenessTicks` a leader must emerge, a new proposal must commit, and every
    /// member must apply every acknowledged proposal.
    func livenessPhase() {
        inFaultPhase = false
        net.heal()
        net.faults = .reliable
        for id in ids {
            let n = nodes[id]!
            n.disk.syncLatency = 0
            if !n.isUp { restart(n) }
        }
        log("liveness phase: faults stop")
        let start = now
        let probeFrom = nextProposal
        var lastProbe = -100
        while now - start < options.livenessTicks {
            tick()
            if checker.violation != nil { return }
            guard let l = leader else { continue }
            let probeAcked = checker.acked.keys.contains { $0 >= probeFrom }
            if !probeAcked {
                if now - lastProbe >= 20 {
                    propose(to: l)
                    lastProbe = now
                }
                continue
            }
            let members = l.raw!.configuration.allMembers
            let target = checker.maxAckedIndex
            let caughtUp = members.allSatisfy { m in
                guard let n = nodes[m], n.isUp else { return false }
                return n.sm.index >= target
            }
            if caughtUp { return }
        }
        var detail = "leader=\(leader.map { "\($0.id)" } ?? "none"), max acked index \(checker.maxAckedIndex);"
        for id in ids {
            let n = nodes[id]!
            if let r = n.raw {
                let s = r.status
                detail += " [\(id): \(s.role) t\(s.term) lead \(s.leader) commit \(s.commit) applied \(n.sm.index) last \(s.lastIndex) conf \(s.configuration)]"
            }
        }
        checker.fail("liveness: no progress within \(options.livenessTicks) ticks after faults stopped: \(detail)")
    }
}
