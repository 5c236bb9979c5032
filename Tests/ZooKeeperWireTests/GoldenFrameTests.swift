import Foundation
import NIOCore
import Testing
@testable import ZooKeeperWire

/// Frames captured from a real Apache ZooKeeper 3.8 server and its clients
/// (`Fixtures/golden.json`, made by `scripts/capture-golden`): each one decodes with our
/// codec and re-encodes to the very same bytes.
@Suite("golden frames from ZooKeeper 3.8")
struct GoldenFrameTests {
    struct Frame: Decodable, CustomTestStringConvertible {
        var name: String
        var direction: String
        var hex: String
        var testDescription: String { name }

        var bytes: [UInt8] {
            var out: [UInt8] = []
            var chars = hex.makeIterator()
            while let a = chars.next(), let b = chars.next() {
                out.append(UInt8(String([a, b]), radix: 16)!)
            }
            return out
        }

        /// The op named before the first '-', e.g. `getChildren2` of `getChildren2-response`.
        var opName: String { String(name.prefix { $0 != "-" }) }
    }

    static let frames: [Frame] = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/golden.json")
        guard let data = try? Data(contentsOf: url) else { return [] }
        return (try? JSONDecoder().decode([Frame].self, from: data)) ?? []
    }()

    static let opsByName: [String: OpCode] = Dictionary(uniqueKeysWithValues: OpCode.allCases.map { ("\($0)", $0) })

    @Test("the fixture file is present and covers every record kind")
    func fixturesPresent() {
        #expect(Self.frames.count >= 70)
        let ops = Set(Self.frames.map(\.opName))
        for needed in ["connect", "create", "create2", "createContainer", "createTTL", "delete", "exists", "getData",
                       "setData", "getACL", "setACL", "getChildren", "getChildren2", "sync", "ping", "multi", "multiRead",
                       "checkWatches", "removeWatches", "auth", "setWatches", "setWatches2", "getEphemerals",
                       "getAllChildrenNumber", "addWatch", "whoAmI", "closeSession", "notification"] {
            #expect(ops.contains(needed), "no golden frame for \(needed)")
        }
    }

    @Test("each captured frame decodes and re-encodes byte for byte", arguments: frames)
    func reencode(_ frame: Frame) throws {
        var buffer = ByteBuffer(bytes: frame.bytes)
        var body = try #require(try Framing.readFrame(from: &buffer, maxFrameLength: Framing.defaultMaxBuffer))
        #expect(buffer.readableBytes == 0)
        var out = ByteBuffer()
        if frame.opName == "connect" {
            if frame.direction == "c2s" {
                let r = try ConnectRequest(jute: &body)
                Framing.writeFrame(into: &out) { r.write(jute: &$0) }
            } else {
                let r = try ConnectResponse(jute: &body)
                Framing.writeFrame(into: &out) { r.write(jute: &$0) }
            }
        } else if frame.direction == "c2s" {
            let header = try RequestHeader(jute: &body)
            if frame.opName == "op999" {
                #expect(throws: JuteDecodingError.unknownOpCode(999)) { try ZooKeeperRequest.decode(type: header.type, from: &body) }
                return
            }
            let request = try ZooKeeperRequest.decode(type: header.type, from: &body)
            #expect(request.opCode == Self.opsByName[frame.opName], "\(frame.name) decoded as \(request.opCode)")
            out.writeRequestFrame(xid: header.xid, request)
        } else {
            let header = try ReplyHeader(jute: &body)
            if frame.name.contains("-error-") {
                #expect(header.err != 0)
                #expect(body.readableBytes == 0, "error replies carry no body")
                out.writeReplyFrame(header, nil)
            } else if frame.opName == "notification" {
                #expect(header.xid == SpecialXid.notification)
                let event = try WatcherEvent(jute: &body)
                Framing.writeFrame(into: &out) { b in
                    header.write(jute: &b)
                    event.write(jute: &b)
                }
            } else {
                let op = try #require(Self.opsByName[frame.opName], "unknown op in \(frame.name)")
                let response = try ZooKeeperResponse.decode(op: op, from: &body)
                out.writeReplyFrame(header, response)
            }
        }
        #expect(body.readableBytes == 0, "\(frame.name): \(body.readableBytes) bytes left undecoded")
        #expect(Array(out.readableBytesView) == frame.bytes, "\(frame.name) re-encodes differently")
    }
}
