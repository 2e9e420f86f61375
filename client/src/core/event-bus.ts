/**
 * The one event bus between the network client, the capture pipeline and the Phaser scenes.
 * Typed so a scene cannot listen for an event name or payload that does not exist.
 */
import type {
  ErrorCode,
  FinalStandings,
  FrameResult,
  JoinResult,
  ProtocolError,
  RoomState,
  RoundResults,
} from '../../../shared/protocol.ts';
import type { CaptureStatus } from '../capture/capture-status.ts';
import type { FrameFeedbackState } from '../capture/frame-feedback.ts';

export type ConnectionStatus = 'connecting' | 'connected' | 'reconnecting';

export interface BusEvents {
  connection: ConnectionStatus;
  joined: JoinResult;
  room: RoomState;
  roundResults: RoundResults;
  final: FinalStandings;
  frameResult: FrameResult;
  kicked: string;
  serverError: ProtocolError;
  /** We are out of the room: by choice (null), or with a reason to show on the home screen. */
  left: { reason: string } | null;
  capture: CaptureStatus;
  /** Whether our frames count, and the hint to show when not (changes only). */
  frameFeedback: FrameFeedbackState;
  /** The server refused one of our frames (the frame:send ack's error code). */
  frameRefused: ErrorCode;
}

type Listener<T> = (payload: T) => void;

export class EventBus<E extends object = BusEvents> {
  private readonly listeners = new Map<keyof E, Set<Listener<never>>>();

  on<K extends keyof E>(event: K, fn: Listener<E[K]>): () => void {
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
    }
    set.add(fn as Listener<never>);
    return () => this.off(event, fn);
  }

  off<K extends keyof E>(event: K, fn: Listener<E[K]>): void {
    this.listeners.get(event)?.delete(fn as Listener<never>);
  }

  emit<K extends keyof E>(event: K, payload: E[K]): void {
    const set = this.listeners.get(event);
    if (!set) return;
    // Copy: a listener may unsubscribe (a scene shutting down) while we iterate.
    for (const fn of [...set]) (fn as Listener<E[K]>)(payload);
  }
}
