/**
 * frame:send → validate → rate-limit → round check → newest-frame queue → inference
 * → score → frame:result to the sender. Every drop is counted by reason.
 *
 * How a frame is answered depends on the client (shared/protocol.ts, PROTOCOL_VERSIONS): a frame
 * sent with an acknowledgement gets it (accepted, or refused with a code) and, once scored, a
 * frame:result; a protocol 2 or 3 frame without one gets exactly one frame:result — the score, or
 * `refused` with the code — so a client learns everything from one message per frame. Protocol 3+
 * frame messages of a room member arrive straight from the WebSocket (frame-tap.ts); any other
 * arrives as the same event through the parser (frame-parser.ts). Both end in takeFrame.
 */
import { Socket } from 'socket.io';
import { validateFrame } from '../../shared/frame.ts';
import { decodeFramePacket } from '../../shared/frame-packet.ts';
import { answersFramesInResult, ERROR_CODES, type ErrorCode, type FrameResult } from '../../shared/protocol.ts';
import type { ReplayMeasure } from '../game/liveness.ts';
import type { FrameDropReason } from '../metrics.ts';
import { err, handle, ok, type Reply } from './ack.ts';
import { boundMember, type FrameJob, type NetContext } from './context.ts';
import { sendFrameResult } from './direct-result.ts';
import { tapFrames } from './frame-tap.ts';
import { protocolOf } from './protocol-version.ts';
import type { TokenBucket } from './rate-limiter.ts';
import type { ArenaSocket } from './types.ts';

export function frameKey(roomCode: string, playerId: string): string {
  return `${roomCode}/${playerId}`;
}

/** The protocol 2 answer to a frame that was not scored. */
export function refusedFrame(seq: number, code: ErrorCode, message: string): FrameResult {
  return { seq, probabilities: [], match: 0, counted: false, refused: { code, message } };
}

export function registerFrameHandlers(ctx: NetContext, socket: ArenaSocket): void {
  const sender = new SenderState();
  const onFrame = (args: unknown[], reply: Reply<null>, hasAck: boolean): void =>
    takeFrame(ctx, socket, sender, args[0], reply, hasAck);
  handle(socket, 'frame:send', ctx.log, onFrame);
  // A local connection's frame messages skip Engine.IO and Socket.IO (frame-tap.ts) while it is
  // the live connection of a member of a room here. Any other frame goes the Socket.IO way: a
  // socket in no room is refused there as ever, and in cluster mode the gateway's middleware
  // forwards the frames of a room on another node. A cluster stand-in has no connection here.
  if (socket instanceof Socket) {
    const untap = tapFrames(socket.conn, (bytes) => {
      if (!ctx.sessions.isCurrent(socket)) return false;
      ctx.metrics.framesTapped.inc();
      try {
        takeFrame(ctx, socket, sender, decodeFramePacket(bytes), noReply, false);
      } catch (e) {
        ctx.log.error({ err: e, socket: socket.id }, 'frame handler failed');
      }
      return true;
    });
    socket.once('disconnect', untap);
  }
}

/**
 * What one socket's frames look up, found once instead of per frame: the frame queue key (built
 * once per room and player: the queue looks it up in a Map, and a string built afresh must be
 * flattened and hashed every time) and the frame budget.
 */
class SenderState {
  private roomCode = '';
  private playerId = '';
  private key = '';
  private bucket: TokenBucket | undefined;

  /** The socket's frame budget (ctx.frameLimiter's, looked up once rather than per frame). */
  budget(ctx: NetContext, socket: ArenaSocket): TokenBucket {
    this.bucket ??= ctx.frameLimiter(socket);
    return this.bucket;
  }

  of(roomCode: string, playerId: string): string {
    if (roomCode !== this.roomCode || playerId !== this.playerId) {
      this.roomCode = roomCode;
      this.playerId = playerId;
      this.key = frameKey(roomCode, playerId);
    }
    return this.key;
  }
}

/**
 * One frame:send, from an event or the tap: queued for inference, or refused and the sender told
 * as its protocol says. Plain functions rather than a closure per frame: a frame is handled a few
 * thousand times a second, and each closure is an allocation (and under tsx, which keeps function
 * names, an Object.defineProperty as well).
 */
function takeFrame(
  ctx: NetContext,
  socket: ArenaSocket,
  sender: SenderState,
  payload: unknown,
  reply: Reply<null>,
  hasAck: boolean,
): void {
  ctx.metrics.framesReceived.inc();
  // Without an acknowledgement, only a protocol 2+ client is told about a refusal (in frame:result).
  const answerInResult = !hasAck && answersFramesInResult(protocolOf(socket));
  const job = frameJob(ctx, socket, sender, payload, answerInResult);
  if ('refused' in job) {
    ctx.metrics.framesDropped.inc({ reason: job.refused });
    const { code, message } = job;
    if (hasAck) {
      reply(err(code, message));
    } else if (answerInResult) {
      // An unusable seq is echoed as -1: the client still learns that something it sent was refused.
      const seq = Number.isSafeInteger(job.rawSeq) && (job.rawSeq as number) >= 0 ? (job.rawSeq as number) : -1;
      sendFrameResult(socket, refusedFrame(seq, code, message));
    }
    return;
  }
  ctx.frames.push(sender.of(job.roomCode, job.playerId), job.crop, job);
  reply(ok(null));
}

/** Why a frame was refused before it reached the queue, and the seq it came with. */
interface Refusal {
  refused: FrameDropReason;
  code: ErrorCode;
  message: string;
  rawSeq: unknown;
}

function refusal(refused: FrameDropReason, code: ErrorCode, message: string, rawSeq: unknown): Refusal {
  return { refused, code, message, rawSeq };
}

/** The frame's job for the queue, once it passed every check; else the first check it failed. */
function frameJob(
  ctx: NetContext,
  socket: ArenaSocket,
  sender: SenderState,
  payload: unknown,
  answerInResult: boolean,
): FrameJob | Refusal {
  if (typeof payload !== 'object' || payload === null) {
    return refusal('invalid', ERROR_CODES.INVALID_PAYLOAD, 'frame:send expects { seq, data }', undefined);
  }
  const { seq: rawSeq, data } = payload as { seq?: unknown; data?: unknown };
  const seqCheck = ctx.validators.frameSeq(rawSeq);
  if (!seqCheck.ok) return refusal('invalid', ERROR_CODES.INVALID_PAYLOAD, `seq: ${seqCheck.message}`, rawSeq);
  const frame = validateFrame(data);
  if (!frame.ok) return refusal('invalid', ERROR_CODES.FRAME_INVALID, frame.reason, rawSeq);
  if (!sender.budget(ctx, socket).tryTake()) {
    return refusal('rate_limited', ERROR_CODES.RATE_LIMITED, 'more than 10 frames per second; frame dropped', rawSeq);
  }
  const bound = boundMember(ctx, socket);
  if (!bound) return refusal('not_in_room', ERROR_CODES.NOT_IN_ROOM, 'join a room before sending frames', rawSeq);
  const member = bound.member;
  // Copy: the Buffer may be a view into a larger message, and the ticket keeps the frame.
  const crop = new Uint8Array(frame.bytes);
  const ticket = bound.room.acceptFrame(member.id, crop);
  if (!ticket.ok) return refusal('outside_round', ticket.code, ticket.message, rawSeq);
  return {
    socketId: socket.id,
    roomCode: bound.room.code,
    playerId: member.id,
    seq: seqCheck.value,
    ticket: ticket.value,
    crop,
    answerInResult,
  };
}

const noReply: Reply<null> = () => {};

/** Called by the frame queue with a model output: scores it and answers the sender. */
export function deliverFrameResult(
  ctx: NetContext,
  job: FrameJob,
  probabilities: Float32Array,
  replay?: ReplayMeasure,
): void {
  const room = ctx.rooms.get(job.roomCode);
  const outcome = room?.recordFrame(job.playerId, job.ticket, probabilities, replay);
  if (!outcome) {
    ctx.metrics.framesDropped.inc({ reason: 'late' });
    frameNotScored(ctx, job, ERROR_CODES.WRONG_PHASE, 'the round ended before this frame was scored');
    return;
  }
  ctx.metrics.framesScored.inc();
  if (!outcome.counted) ctx.metrics.framesUncounted.inc();
  answerSender(ctx, job, {
    seq: job.seq,
    probabilities: rounded(probabilities),
    match: Math.round(outcome.match * 10_000) / 10_000,
    counted: outcome.counted,
    ...(outcome.reason ? { reason: outcome.reason } : {}),
  });
  ctx.metrics.frameResultLatency.observe((ctx.clock.now() - job.ticket.receivedAt) / 1000);
  // After the result is sent: a consenting player's crop is only remembered here, stored at round end.
  if (room) ctx.donations?.frameScored(job, outcome, probabilities, room.roundStartedAtMs);
}

/**
 * A queued frame that will not be scored (superseded by a newer one, the round ended, the model
 * failed): a protocol 2 sender is told; protocol 1 senders were already answered on the ack.
 */
export function frameNotScored(ctx: NetContext, job: FrameJob, code: ErrorCode, message: string): void {
  if (!job.answerInResult) return;
  answerSender(ctx, job, refusedFrame(job.seq, code, message));
}

/** Probabilities to 4 decimals for the wire (a plain loop: Array.from with a map function costs several times more). */
function rounded(probabilities: Float32Array): number[] {
  const out = new Array<number>(probabilities.length);
  for (let i = 0; i < probabilities.length; i++) out[i] = Math.round((probabilities[i] as number) * 10_000) / 10_000;
  return out;
}

/** A queued frame's frame:result to its sender, with the room's patch riding on it for protocol 4. */
function answerSender(ctx: NetContext, job: FrameJob, result: FrameResult): void {
  const sender = senderOf(ctx, job);
  if (sender) sendFrameResult(sender, result, () => ctx.broadcaster.patchFor(job.roomCode, sender.id));
}

/**
 * The socket that sent the frame: the member's live connection (in cluster mode possibly a
 * stand-in, whose emit goes to its gateway node only), or a local socket that was replaced
 * meanwhile (a second tab) and still hears about its own frame. The socket itself rather than
 * `io.to(id)`: no room look-up, and see local-delivery.ts for what the adapter would do.
 */
function senderOf(ctx: NetContext, job: FrameJob): ArenaSocket | undefined {
  const live = ctx.sessions.socketOf(job.roomCode, job.playerId);
  return live?.id === job.socketId ? live : ctx.io.sockets.sockets.get(job.socketId);
}
