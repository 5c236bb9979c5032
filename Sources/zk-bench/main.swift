// zk-bench: a ZooKeeper load generator on the ZooKeeperWire module and SwiftNIO.
// See docs/BENCHMARKS.md for the modes and `scripts/bench-compare` for the side-by-side suite.
import Foundation
import NIOCore
import NIOPosix

let options: BenchOptions
do {
    options = try BenchOptions.parse(Array(CommandLine.arguments.dropFirst()))
} catch {
    FileHandle.standardError.write(Data("zk-bench: \(error)\n".utf8))
    exit(2)
}

// A watchdog: the tool stops by itself whatever the server does.
let watchdog = Thread {
    Thread.sleep(forTimeInterval: options.maxSeconds + 60)
    FileHandle.standardError.write(Data("zk-bench: gave up after \(Int(options.maxSeconds + 60))s\n".utf8))
    exit(3)
}
watchdog.start()

let group = MultiThreadedEventLoopGroup(numberOfThreads: options.mode == .load ? options.threads : 1)
do {
    switch options.mode {
    case .load: try await LoadRun.run(options, group: group)
    case .watchFanout: try await FanoutWorker.run(options, group: group)
    case .sessions: try await SessionsMode.run(options, group: group)
    }
} catch {
    FileHandle.standardError.write(Data("zk-bench: \(error)\n".utf8))
    exit(1)
}
try? await group.shutdownGracefully()
