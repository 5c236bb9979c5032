import ZooKeeperClient

/// `ls [-s] [-w] [-R] path`: sorted children as `[a, b]`; `-R` lists the subtree breadth-first.
struct LsCommand: CliCommand {
    let name = "ls"
    let usage = "ls [-s] [-w] [-R] path"
    let flags = ["s": false, "w": false, "R": false]

    func run(_ args: ParsedCommand, shell: Shell) async throws {
        let zk = try await shell.requireClient()
        let path = args[1]!
        if args.has("R") {
            Console.shared.out(path)
            var queue = [path]
            while !queue.isEmpty {
                let node = queue.removeFirst()
                for child in try await zk.getChildren(node).sorted() {
                    let childPath = node == "/" ? "/" + child : node + "/" + child
                    Console.shared.out(childPath)
                    queue.append(childPath)
                }
            }
            return
        }
        let (children, stat, watch) = try await zk.getChildrenWithStat(path, watch: args.has("w"))
        if args.has("w") { shell.follow(watch) }
        Console.shared.out(Format.list(children.sorted()))
        if args.has("s") { Console.shared.out(Format.stat(stat)) }
    }
}
