/**
 * The frame tap (server/net/frame-tap.ts): a tagged frame message goes to the tap, and nothing else
 * does. In particular a protocol 1 or 2 frame's attachment (the bare crop, which may begin with
 * the tag's byte value) stays with Socket.IO, as do frames the tap declines and frames that arrive
 * before a tap is set.
 */
import { describe, expect, it } from 'vitest';
import { announcedAttachments, FrameTapWebSocket } from '../../../server/net/frame-tap.ts';
import { FRAME_BYTES } from '../../../shared/frame.ts';
import { encodeFramePacket, FRAME_PACKET_TAG } from '../../../shared/frame-packet.ts';

/** A FrameTapWebSocket without a network connection: what it emits is recorded. */
function tapped(accept = true) {
  const ws = Object.create(FrameTapWebSocket.prototype) as FrameTapWebSocket;
  // Class fields are set by the constructor, which this skips.
  Object.assign(ws, { frameTap: undefined, attachmentsOwed: 0, _events: {}, _eventsCount: 0 });
  const emitted: unknown[] = [];
  const tapped: Uint8Array[] = [];
  ws.on('message', (data: unknown) => emitted.push(data));
  const tap = (bytes: Uint8Array) => {
    if (accept) tapped.push(bytes);
    return accept;
  };
  return { ws, emitted, tapped, tap };
}

const crop = (first: number) => Buffer.from(new Uint8Array(FRAME_BYTES).fill(first));
const frameMessage = (seq: number) => Buffer.from(encodeFramePacket(seq, new Uint8Array(FRAME_BYTES)));

describe('FrameTapWebSocket', () => {
  it('hands tagged frame messages to the tap and emits everything else', () => {
    const t = tapped();
    t.ws.frameTap = t.tap;
    t.ws.emit('message', frameMessage(1), true);
    t.ws.emit('message', Buffer.from('42["room:leave"]'), false);
    t.ws.emit('message', Buffer.from([1, 2, 3]), true);
    expect(t.tapped).toHaveLength(1);
    expect(t.emitted).toHaveLength(2);
  });

  it('leaves a protocol 1 frame and its attachment to Socket.IO, even one whose crop starts with the tag', () => {
    const t = tapped();
    t.ws.frameTap = t.tap;
    t.ws.emit('message', Buffer.from('451-["frame:send",{"seq":3,"data":{"_placeholder":true,"num":0}}]'), false);
    t.ws.emit('message', crop(FRAME_PACKET_TAG), true);
    // A binary event with two attachments, then an acknowledgement with one.
    t.ws.emit('message', Buffer.from('452-["x",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]'), false);
    t.ws.emit('message', crop(FRAME_PACKET_TAG), true);
    t.ws.emit('message', crop(FRAME_PACKET_TAG), true);
    t.ws.emit('message', Buffer.from('461-0[{"_placeholder":true,"num":0}]'), false);
    t.ws.emit('message', crop(FRAME_PACKET_TAG), true);
    expect(t.tapped).toHaveLength(0);
    expect(t.emitted).toHaveLength(7);
    // Once the attachments are in, a protocol 3 frame is the tap's again.
    t.ws.emit('message', frameMessage(4), true);
    expect(t.tapped).toHaveLength(1);
  });

  it('emits frames when no tap is set or the tap declines them', () => {
    const none = tapped();
    none.ws.emit('message', frameMessage(1), true);
    expect(none.emitted).toHaveLength(1);

    const declines = tapped(false);
    declines.ws.frameTap = declines.tap;
    declines.ws.emit('message', frameMessage(1), true);
    expect(declines.emitted).toHaveLength(1);
  });
});

describe('announcedAttachments', () => {
  it('reads the count of binary events and acknowledgements, and nothing else', () => {
    expect(announcedAttachments('451-["a",{}]')).toBe(1);
    expect(announcedAttachments(Buffer.from('4612-7[{}]'))).toBe(12);
    expect(announcedAttachments('42["a"]')).toBe(0);
    expect(announcedAttachments('3')).toBe(0);
    expect(announcedAttachments('45x-')).toBe(0);
    expect(announcedAttachments('45-')).toBe(0);
    expect(announcedAttachments(42)).toBe(0);
  });
});

describe('FrameTapWebSocket.sendText', () => {
  /** A connection whose sender records what it is given; `extensions` as negotiated. */
  function sending(extensions: Record<string, unknown> = {}) {
    const ws = Object.create(FrameTapWebSocket.prototype) as FrameTapWebSocket;
    const frames: Buffer[][] = [];
    const sent: string[] = [];
    Object.assign(ws, {
      _extensions: extensions,
      _sender: { sendFrame: (list: Buffer[]) => frames.push(list) },
    });
    Object.defineProperty(ws, 'send', { value: (text: string) => sent.push(text) });
    return { ws, frames, sent };
  }

  /** Reads one unmasked, final text frame as RFC 6455 lays it out. */
  function readTextFrame(bytes: Buffer): string {
    expect(bytes[0]).toBe(0x81);
    const short = (bytes[1] as number) & 0x7f;
    expect((bytes[1] as number) & 0x80).toBe(0);
    const [length, start] = short === 126 ? [bytes.readUInt16BE(2), 4] : [short, 2];
    expect(bytes.length).toBe(start + length);
    return bytes.subarray(start).toString('utf8');
  }

  it('writes one complete frame, whatever the length, in UTF-8', () => {
    const texts = [
      '4x',
      `4${'a'.repeat(124)}`,
      `4${'b'.repeat(125)}`,
      `4${'c'.repeat(5000)}`,
      '42["frame:result",{"n":"Zoë 🙂"}]',
    ];
    for (const text of texts) {
      const s = sending();
      s.ws.sendText(text);
      expect(s.frames).toHaveLength(1);
      expect(s.frames[0]).toHaveLength(1);
      expect(readTextFrame(s.frames[0]?.[0] as Buffer)).toBe(text);
    }
  });

  it('leaves compressed connections and long texts to send', () => {
    const deflate = sending({ 'permessage-deflate': {} });
    deflate.ws.sendText('4hello');
    expect(deflate.frames).toEqual([]);
    expect(deflate.sent).toEqual(['4hello']);

    const long = sending();
    const text = `4${'d'.repeat(30_000)}`;
    long.ws.sendText(text);
    expect(long.frames).toEqual([]);
    expect(long.sent).toEqual([text]);
  });
});
