import Foundation
import struct RaftCore.Configuration
import struct RaftCore.SnapshotMetadata
import RaftStorage
import Synchronization
import Testing
import ZNodeStore
import ZooKeeperWire

/// The server's snapshot path end to end: the store's walk streamed in chunks (big node
/// data by reference), written to a snapshot file, read back by a restarted storage.
@Suite("Streamed snapshot files")
struct SnapshotStreamTests {
    @Test("chunks with spliced node data write a file that reads back as the store's snapshot bytes", arguments: [true, false])
    func splicedChunksRoundTrip(direct: Bool) throws {
        let store = ZNodeStore()
        var zxid: Int64 = 0
        let sizes = [0, 1, 100, 255, 256, 257, 1024, 4095, 5000, 70_000]
        for i in 0..<300 {
            zxid += 1
            let size = sizes[i % sizes.count]
            let data: [UInt8]? = i % 11 == 10 ? nil : (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ i) }
            _ = store.apply(Txn(sessionId: 1, zxid: zxid, time: zxid,
                                kind: .request(.create(CreateRequest(path: "/n\(i)", data: data)), auth: AuthContext())))
        }
        let expected = store.serializeSnapshot()
        let builder = store.beginSnapshot(canonical: true)
        let chunks = Mutex<[SnapshotChunk]>([])
        builder.stream(chunkSize: 8192) { chunk in chunks.withLock { $0.append(chunk) } }
        while !builder.step(maxNodes: 7) {}
        store.endSnapshot(builder)
        builder.flush()
        let all = chunks.withLock { $0 }
        #expect(all.count > 10)
        #expect(all.contains { !$0.spliced.isEmpty }, "data of 256 bytes and more went by reference")
        #expect(all.allSatisfy { $0.spliced.allSatisfy { $0.data.count >= 256 } })
        #expect(all.reduce(0) { $0 + $1.count } == expected.count)
        #expect(builder.bytesWritten == expected.count)

        var template = Array("/tmp/tusk-splice-XXXXXX".utf8CString)
        let dir = String(cString: template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }!)
        defer { _ = try? FileManager.default.removeItem(atPath: dir) }
        let meta = SnapshotMetadata(index: 42, term: 3, configuration: Configuration(voters: [1]))
        let stream = try DiskStorage(directory: dir).snapshotFileWriter.stream(meta, direct: direct)
        for chunk in all { chunk.forEachPiece { stream.append($0) } }
        _ = try stream.finish()
        let snap = try DiskStorage(directory: dir).snapshot()
        #expect(snap.metadata == meta)
        #expect(snap.data == expected)
        let restored = try ZNodeStore.deserialize(snap.data, config: store.config)
        #expect(restored.serializeSnapshot() == expected)
    }
}
