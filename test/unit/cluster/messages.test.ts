/** Forwarded events cross Redis as text: frames (bytes) must arrive byte for byte. */
import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage } from '../../../server/cluster/messages.ts';

describe('cluster message encoding', () => {
  it('carries a frame:send with its pixels and acknowledgement id unchanged', () => {
    const pixels = Uint8Array.from({ length: 2304 }, (_, i) => (i * 7) & 255);
    const text = encodeMessage({
      t: 'event',
      gw: 'node-a',
      sid: 'abc',
      ev: 'frame:send',
      args: [{ seq: 12, data: Buffer.from(pixels) }],
      ack: 7,
      hs: { address: '10.0.0.1', headers: { 'x-forwarded-for': '1.2.3.4' } },
    });
    const m = decodeMessage(text);
    expect(m.t).toBe('event');
    if (m.t !== 'event') return;
    const { seq, data } = m.args[0] as { seq: number; data: Buffer };
    expect(seq).toBe(12);
    expect(Buffer.isBuffer(data)).toBe(true);
    expect(new Uint8Array(data)).toEqual(pixels);
    expect(m.ack).toBe(7);
    expect(m.hs.headers['x-forwarded-for']).toBe('1.2.3.4');
  });

  it('keeps a view into a larger buffer to its own bytes', () => {
    const big = Buffer.from([1, 2, 3, 4, 5, 6]);
    const m = decodeMessage(encodeMessage({ t: 'emit', sid: 's', ev: 'x', args: [big.subarray(2, 4)] }));
    expect(m.t === 'emit' && [...(m.args[0] as Buffer)]).toEqual([3, 4]);
  });
});
