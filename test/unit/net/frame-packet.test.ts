/** Protocol 3's frame message (shared/frame-packet.ts): what a client encodes is what the server reads. */
import { describe, expect, it } from 'vitest';
import { FRAME_BYTES } from '../../../shared/frame.ts';
import {
  decodeFramePacket,
  encodeFramePacket,
  FRAME_PACKET_BYTES,
  FRAME_PACKET_MAX_SEQ,
  FRAME_PACKET_TAG,
  isFramePacket,
} from '../../../shared/frame-packet.ts';

const crop = () => Uint8Array.from({ length: FRAME_BYTES }, (_, i) => (i * 7) % 256);

describe('frame packet', () => {
  it('round-trips seq and pixels in one message of tag + 4 bytes + crop', () => {
    for (const seq of [0, 1, 255, 256, 65_535, 1_000_000, FRAME_PACKET_MAX_SEQ]) {
      const packet = encodeFramePacket(seq, crop());
      expect(packet.byteLength).toBe(FRAME_PACKET_BYTES);
      expect(packet[0]).toBe(FRAME_PACKET_TAG);
      expect(isFramePacket(packet)).toBe(true);
      const decoded = decodeFramePacket(packet);
      expect(decoded.seq).toBe(seq);
      expect(Array.from(decoded.data)).toEqual(Array.from(crop()));
    }
  });

  it('reads a packet that is a view into a larger buffer (as a Node Buffer from a socket is)', () => {
    const packet = encodeFramePacket(4242, crop());
    const big = new Uint8Array(packet.byteLength + 100);
    big.set(packet, 37);
    const view = big.subarray(37, 37 + packet.byteLength);
    expect(decodeFramePacket(view).seq).toBe(4242);
    expect(decodeFramePacket(view).data[1]).toBe(7);
  });

  it('refuses to encode a seq the 4 bytes cannot carry', () => {
    for (const seq of [-1, 1.5, FRAME_PACKET_MAX_SEQ + 1, Number.NaN]) {
      expect(() => encodeFramePacket(seq, crop())).toThrow(RangeError);
    }
  });

  it('decodes short and odd packets into something the frame handler refuses, never throws', () => {
    expect(decodeFramePacket(Uint8Array.of(FRAME_PACKET_TAG, 0, 0))).toEqual({ seq: null, data: new Uint8Array(0) });
    const short = decodeFramePacket(encodeFramePacket(9, new Uint8Array(10)));
    expect(short.seq).toBe(9);
    expect(short.data.byteLength).toBe(10);
    expect(isFramePacket(new Uint8Array(0))).toBe(false);
    expect(isFramePacket(Uint8Array.of(0x00, 1, 2))).toBe(false);
  });
});
