/**
 * Switching our seat between playing and watching (the server keeps seat, score and host and
 * switches the role in place). Playing needs a working camera first: that is the camera check.
 * Returns what to tell the player, or null when it simply worked.
 */
import { ProtocolFailure } from '../net/arena-client.ts';
import type { AppContext } from './context.ts';

export async function switchRole(ctx: AppContext, role: 'player' | 'spectator'): Promise<string | null> {
  const code = ctx.store.room?.code;
  if (!code) return null;
  if (role === 'player') {
    const res = await ctx.capture.startCamera();
    if (!res.ok) return res.message;
  } else {
    ctx.capture.stopCamera();
  }
  ctx.wantedRole = role;
  try {
    const res = await ctx.net.joinRoom(code, ctx.nickname(), role);
    // Only asking to play can come back unchanged: every player seat is taken.
    if (res.self.role !== role) return 'All player seats are taken: you will play when one frees up.';
    return null;
  } catch (err) {
    return err instanceof ProtocolFailure ? err.message : String(err);
  }
}
