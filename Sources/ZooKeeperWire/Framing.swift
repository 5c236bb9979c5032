import NIOCore

/// Errors of the length-prefixed framing.
public enum FrameError: Error, Equatable, Sendable {
    /// The length prefix is negative or larger than the configured maximum (`jute.maxbuffer`).
    case invalidLength(Int32, max: Int)
}

/// Every ZooKeeper packet is a 4-byte big-endian length followed by that many bytes.
public enum Framing {
    /// ZooKeeper's default `jute.maxbuffer`: 0xfffff bytes.
    public static let defaultMaxBuffer = 1_048_575

    /// Takes one whole frame off the front of `buffer` (without its length), or returns nil
    /// when more bytes are needed. Throws for a length outside `0...maxFrameLength`.
    @inlinable
    public static func readFrame(from buffer: inout ByteBuffer, maxFrameLength: Int) throws -> ByteBuffer? {
        guard let length = buffer.getInteger(at: buffer.readerIndex, as: Int32.self) else { return nil }
        guard length >= 0, Int(length) <= maxFrameLength else {
            throw FrameError.invalidLength(length, max: maxFrameLength)
        }
        guard buffer.readableBytes >= 4 + Int(length) else { return nil }
        buffer.moveReaderIndex(forwardBy: 4)
        return buffer.readSlice(length: Int(length))
    }

    /// Writes a frame: reserves the length, lets `body` write, then fills the length in.
    @inlinable
    public static func writeFrame(into buffer: inout ByteBuffer, _ body: (inout ByteBuffer) -> Void) {
        let lengthIndex = buffer.writerIndex
        buffer.writeInteger(Int32(0))
        body(&buffer)
        buffer.setInteger(Int32(buffer.writerIndex - lengthIndex - 4), at: lengthIndex)
    }
}

/// A `ByteToMessageDecoder` that emits each frame's payload.
public struct ZooKeeperFrameDecoder: ByteToMessageDecoder {
    public typealias InboundOut = ByteBuffer
    public let maxFrameLength: Int

    public init(maxFrameLength: Int = Framing.defaultMaxBuffer) { self.maxFrameLength = maxFrameLength }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let frame = try Framing.readFrame(from: &buffer, maxFrameLength: maxFrameLength) else { return .needMoreData }
        context.fireChannelRead(Self.wrapInboundOut(frame))
        return .continue
    }

    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        try decode(context: context, buffer: &buffer)
    }
}

extension ByteBuffer {
    /// Writes a whole reply frame: header plus body.
    public mutating func writeReplyFrame(_ header: ReplyHeader, _ response: ZooKeeperResponse?) {
        Framing.writeFrame(into: &self) { b in
            header.write(jute: &b)
            response?.write(jute: &b)
        }
    }

    /// Writes a whole request frame: header plus body.
    public mutating func writeRequestFrame(xid: Int32, _ request: ZooKeeperRequest) {
        Framing.writeFrame(into: &self) { b in
            RequestHeader(xid: xid, type: request.opCode.rawValue).write(jute: &b)
            request.write(jute: &b)
        }
    }

    /// Writes a watch notification frame (xid -1).
    public mutating func writeNotificationFrame(zxid: Int64, _ event: WatcherEvent) {
        Framing.writeFrame(into: &self) { b in
            ReplyHeader(xid: SpecialXid.notification, zxid: zxid, err: 0).write(jute: &b)
            event.write(jute: &b)
        }
    }
}
