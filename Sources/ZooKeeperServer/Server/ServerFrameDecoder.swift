import NIOCore
import ZooKeeperWire

/// What the client port receives: a four-letter word (only as the first bytes of a
/// connection, as ZooKeeper reads them) or a length-prefixed frame.
enum ServerInbound {
    case fourLetterWord(String)
    case frame(ByteBuffer)
}

struct ServerFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = ServerInbound
    let maxFrameLength: Int
    private var first = true

    init(maxFrameLength: Int) { self.maxFrameLength = maxFrameLength }

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        if first {
            guard let word = buffer.getString(at: buffer.readerIndex, length: 4) else { return .needMoreData }
            first = false
            if ServerConfig.allFourLetterWords.contains(word) {
                buffer.moveReaderIndex(forwardBy: 4)
                context.fireChannelRead(Self.wrapInboundOut(.fourLetterWord(word)))
                return .continue
            }
        }
        guard let frame = try Framing.readFrame(from: &buffer, maxFrameLength: maxFrameLength) else { return .needMoreData }
        context.fireChannelRead(Self.wrapInboundOut(.frame(frame)))
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        // A frame cut short by EOF is dropped: the connection is going away anyway.
        (try? decode(context: context, buffer: &buffer)) ?? .needMoreData
    }
}
