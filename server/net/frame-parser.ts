/**
 * Socket.IO's default parser, plus protocol 3's one-message frames (shared/frame-packet.ts).
 *
 * A frame sent the Socket.IO way is two WebSocket messages — a text header
 * `451-["frame:send",{"seq":…,"data":{"_placeholder":true,"num":0}}]` and the bytes — and the
 * server parses the header's JSON, then rebuilds the event around the attachment. At a few thousand
 * frames a second that was a tenth of the main thread, and as much again in every sender. A
 * protocol 3 client sends the frame as one bare binary message instead; this decoder turns it
 * into the very `frame:send` event the other versions produce, so validation, limits and scoring
 * do not know the difference.
 *
 * Why a parser: it is Socket.IO's own extension point for the wire format (the `parser` server
 * option), the only place that sees a message before Socket.IO rejects a bare binary one, and it
 * keeps every other packet — and every client of versions 1 and 2 — on the default code path.
 * Only the decoder changes; what the server sends is encoded as before.
 */
import { Decoder, Encoder, PacketType, protocol } from 'socket.io-parser';
import { decodeFramePacket, isFramePacket } from '../../shared/frame-packet.ts';

/** The default namespace: the only one the game uses. */
const MAIN_NAMESPACE = '/';

class FrameAwareDecoder extends Decoder {
  override add(obj: unknown): void {
    if (obj instanceof Uint8Array && !this.reconstructing() && isFramePacket(obj)) {
      this.emitReserved('decoded', {
        type: PacketType.EVENT,
        nsp: MAIN_NAMESPACE,
        data: ['frame:send', decodeFramePacket(obj)],
      });
      return;
    }
    // Everything else, including untagged bare binary (still a protocol error that closes the
    // connection, as it always was), goes the default way.
    super.add(obj);
  }

  /**
   * True while the decoder waits for a binary event's attachments: a binary message then is one
   * of them, whatever its first byte. `reconstructor` is private in the parser's types but is
   * how the base class itself tells (socket.io-parser 4.x).
   */
  private reconstructing(): boolean {
    return (this as unknown as { reconstructor: unknown }).reconstructor != null;
  }
}

/** For `new Server(http, { parser: arenaParser })`. */
export const arenaParser = { protocol, Encoder, Decoder: FrameAwareDecoder };
