import { describe, expect, it } from 'vitest';
import { RoomCodePool } from '../../../server/cluster/room-code-pool.ts';

/** A fake Redis claim: async like the real one, and a set shared by "nodes". */
function fakeRedis(taken = new Set<string>(), delayMs = 2) {
  const claimed: string[] = [];
  return {
    claimed,
    taken,
    claimCode: async (code: string) => {
      await new Promise((r) => setTimeout(r, delayMs));
      if (taken.has(code)) return false;
      taken.add(code);
      claimed.push(code);
      return true;
    },
  };
}

function counter(prefix = 'C'): () => string {
  let n = 0;
  return () => `${prefix}${String(++n).padStart(4, '0')}`;
}

/** What the gateway and the room handler do: await ensure(), then take() on a later tick. */
async function createRoom(pool: RoomCodePool): Promise<string | null> {
  await pool.ensure();
  await new Promise((r) => process.nextTick(r));
  return pool.take();
}

describe('RoomCodePool', () => {
  it('gives every creation in a burst its own claimed code (no unclaimed fallback)', async () => {
    const redis = fakeRedis();
    const pool = new RoomCodePool(redis, 4, counter());
    await pool.ensure();
    pool.take();
    const codes = await Promise.all(Array.from({ length: 12 }, () => createRoom(pool)));
    expect(codes.every((c) => c !== null)).toBe(true);
    expect(new Set(codes).size).toBe(12);
    for (const c of codes) expect(redis.claimed).toContain(c);
  });

  it('never hands out a code another node holds', async () => {
    const gen = counter();
    const redis = fakeRedis(new Set(['C0001', 'C0002', 'C0004']));
    const pool = new RoomCodePool(redis, 2, gen);
    const codes = await Promise.all(Array.from({ length: 5 }, () => createRoom(pool)));
    expect(codes).not.toContain('C0001');
    expect(codes).not.toContain('C0002');
    expect(codes).not.toContain('C0004');
    expect(new Set(codes).size).toBe(5);
  });

  it('lets a reservation lapse when its creation never took a code', async () => {
    let now = 0;
    const redis = fakeRedis();
    const pool = new RoomCodePool(redis, 1, counter(), () => now, 1000);
    await pool.ensure();
    expect(pool.reserved).toBe(1);
    now = 1500; // the creation was refused before take()
    expect(pool.reserved).toBe(0);
    await pool.ensure();
    expect(pool.take()).not.toBeNull();
  });

  it('tells the caller when Redis refuses every code, instead of waiting forever', async () => {
    const pool = new RoomCodePool({ claimCode: async () => false }, 2, counter());
    await expect(pool.ensure()).rejects.toThrow(/no room code could be claimed/);
  });
});
