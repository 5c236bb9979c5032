import ZooKeeperClient

/// `deleteall path [-b batch size]`: deletes the subtree, deepest nodes first, in multi batches.
struct DeleteAllCommand: CliCommand {
    let name = "deleteall"
    let usage = "deleteall path [-b batch size]"
    let flags = ["b": true]

    func run(_ args: ParsedCommand, shell: Shell) async throws {
        let zk = try await shell.requireClient()
        let root = args[1]!
        let batch = max(1, Int(args.options["b"] ?? "1000") ?? 1000)
        // Breadth-first listing (ZKUtil.listSubTreeBFS), then delete in reverse order.
        var nodes = [root]
        var i = 0
        _ = try await zk.getChildren(root)
        while i < nodes.count {
            let node = nodes[i]
            i += 1
            let children = (try? await zk.getChildren(node)) ?? []
            nodes += children.map { node == "/" ? "/" + $0 : node + "/" + $0 }
        }
        let ordered = nodes.reversed().filter { $0 != "/" && (root != "/" || ($0 != "/zookeeper" && !$0.hasPrefix("/zookeeper/"))) }
        var start = 0
        while start < ordered.count {
            let slice = ordered[start..<min(start + batch, ordered.count)]
            do {
                try await zk.multi(slice.map { .delete(path: $0) })
            } catch let error as ZooKeeperError where error.code == .noNode {
                for p in slice { try? await zk.delete(p) }
            }
            start += batch
        }
    }
}
