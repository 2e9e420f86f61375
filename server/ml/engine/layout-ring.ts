/**
 * Where the replay check's layouts live when inference workers compute them (liveness.ts
 * measureReplay riding on the frame lanes): one SharedArrayBuffer ring of layout cells shared
 * by the pool and every worker. A worker writes a frame's cells into the slot the pool gave the
 * frame; the main thread keeps a view of that slot in the player's window; a later frame of the
 * player is compared with it by naming the slot, not by copying 144 floats per earlier frame
 * into the lane (that copy, 15 per frame at 5 frames/s, cost the main thread as much as the
 * arithmetic it moved off it: docs/capacity.md).
 *
 * Slots are handed out in turn, so a slot is written again `slots` frames later. A view is
 * only named while it cannot have been overwritten by the time the worker reads it (slotOf);
 * the ring is sized for many seconds of frames at the node's full inference rate, while a
 * window holds three.
 */
import { LAYOUT_GRID } from '../../game/liveness-features.ts';

const CELLS = LAYOUT_GRID * LAYOUT_GRID;

/** What a worker needs to open the ring (workerData; the buffer is shared, not copied). */
export interface RingInit {
  buffer: SharedArrayBuffer;
  slots: number;
}

/** A view of one ring slot, knowing which frame's cells it holds. */
export class RingCells extends Float32Array<ArrayBufferLike> {
  /** The frame's number in the ring's sequence (slot = uid % slots). */
  uid = 0;
  /** The ring it is a view of (a field: reading `.buffer` costs a runtime call per read). */
  ring: LayoutRing | null = null;
}

export class LayoutRing {
  readonly slots: number;
  private readonly all: Float32Array;
  /** Frames handed out so far (main thread). */
  private handedOut = 0;

  static create(slots: number): LayoutRing {
    if (!Number.isInteger(slots) || slots < 1) throw new RangeError(`layout ring slots must be ≥ 1, got ${slots}`);
    return new LayoutRing({ buffer: new SharedArrayBuffer(slots * CELLS * 4), slots });
  }

  constructor(readonly init: RingInit) {
    this.slots = init.slots;
    if (init.buffer.byteLength !== init.slots * CELLS * 4)
      throw new RangeError('layout ring buffer does not match its slots');
    this.all = new Float32Array(init.buffer);
  }

  // ---- main thread -------------------------------------------------------------------

  /** The next frame's slot, as a view its worker will fill. */
  allocate(): RingCells {
    const uid = this.handedOut++;
    const view = new RingCells(this.init.buffer, (uid % this.slots) * CELLS * 4, CELLS);
    view.uid = uid;
    view.ring = this;
    return view;
  }

  /**
   * The slot `cells` is a view of, when it is one of this ring's and still holds its frame's
   * cells after `margin` more frames are handed out (those a batch in flight may still
   * allocate); otherwise -1.
   */
  slotOf(cells: Float32Array, margin: number): number {
    if (!(cells instanceof RingCells) || cells.ring !== this) return -1;
    return this.handedOut + margin - cells.uid <= this.slots ? cells.uid % this.slots : -1;
  }

  /** True when `cells` is a view of this ring whose slot has been handed out again. */
  overwritten(cells: Float32Array, margin: number): boolean {
    return cells instanceof RingCells && cells.ring === this && this.slotOf(cells, margin) < 0;
  }

  // ---- worker ------------------------------------------------------------------------

  /** Slot `slot`'s cells (a view). */
  cells(slot: number): Float32Array {
    return this.all.subarray(slot * CELLS, (slot + 1) * CELLS);
  }
}
