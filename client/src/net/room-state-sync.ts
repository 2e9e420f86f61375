/**
 * The room state as this client knows it, from whole room:state messages and protocol 2
 * room:patch messages (shared/room-patch.ts). Pure: each method returns the state to show, or
 * null when the message changes nothing the player should see.
 */
import type { RoomState, RoomStatePatch } from '../../../shared/protocol.ts';
import { applyRoomPatch } from '../../../shared/room-patch.ts';

export class RoomStateSync {
  private state: RoomState | null = null;

  get current(): RoomState | null {
    return this.state;
  }

  /**
   * A whole state (broadcast, join answer, recovery). One older than what we have for the same
   * room is ignored: after a reconnect, replayed broadcasts may arrive after the fresh one.
   */
  whole(s: RoomState): RoomState | null {
    const have = this.state;
    if (have && have.code === s.code && have.rev !== undefined && s.rev !== undefined && s.rev < have.rev) return null;
    this.state = s;
    return s;
  }

  /** A patch that does not apply (a missed one before it, another room) waits for the next whole state. */
  patch(p: RoomStatePatch): RoomState | null {
    const next = applyRoomPatch(this.state, p);
    if (next) this.state = next;
    return next;
  }

  reset(): void {
    this.state = null;
  }
}
