import NIOCore
import RaftCore
import Testing
@testable import ZooKeeperServer

@Suite("peer frame codec")
struct PeerCodecTests {
    static let frames: [PeerFrame] = [
        .hello(from: 3),
        .sessionTouches([1, -5, 0x0100_0000_0000_0002]),
        .raft(Message(type: .append, to: 2, from: 1, term: 7, logTerm: 6, index: 41, entries: [
            Entry(term: 7, index: 42, type: .normal, data: [1, 2, 3]),
            Entry(term: 7, index: 43, type: .configuration, data: Configuration(voters: [1, 2, 3]).encoded()),
        ], commit: 40)),
        .raft(Message(type: .appendResponse, to: 1, from: 2, term: 7, logTerm: 5, index: 30, reject: true, rejectHint: 29)),
        .raft(Message(type: .readIndex, to: 1, from: 3, term: 7, context: [9, 8, 7])),
        .raft(Message(type: .snapshotChunk, to: 3, from: 1, term: 9, snapshot: SnapshotChunk(
            metadata: SnapshotMetadata(index: 100, term: 8, configuration: Configuration(voters: [1, 2], learners: [4])),
            offset: 1024, totalSize: 4096, data: [UInt8](repeating: 0xAB, count: 1024)))),
    ]

    @Test("every frame kind round-trips", arguments: frames)
    func roundTrip(_ frame: PeerFrame) throws {
        var b = ByteBuffer()
        PeerCodec.encode(frame, into: &b)
        let length = b.readInteger(as: UInt32.self)
        #expect(length.map(Int.init) == b.readableBytes)
        #expect(try PeerCodec.decode(&b) == frame)
        #expect(b.readableBytes == 0)
    }

    @Test("truncated and unknown frames are errors")
    func damage() {
        var b = ByteBuffer()
        PeerCodec.encode(Self.frames[2], into: &b)
        b.moveReaderIndex(forwardBy: 4)
        var cut = b.getSlice(at: b.readerIndex, length: b.readableBytes - 5)!
        #expect(throws: PeerCodecError.truncated) { try PeerCodec.decode(&cut) }
        var unknown = ByteBuffer(bytes: [99])
        #expect(throws: PeerCodecError.unknownKind(99)) { try PeerCodec.decode(&unknown) }
    }
}
