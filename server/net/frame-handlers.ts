/**
 * frame:send → validate → rate-limit → round check → newest-frame queue → inference
 * → score → frame:result to the sender. Every drop is counted by reason.
 */
import { validateFrame } from '../../shared/frame.ts';
import { ERROR_CODES } from '../../shared/protocol.ts';
import type { FrameDropReason } from '../metrics.ts';
import { err, handle, ok } from './ack.ts';
import { boundMember, type FrameJob, type NetContext } from './context.ts';
import type { ArenaSocket } from './types.ts';

export function frameKey(roomCode: string, playerId: string): string {
  return `${roomCode}/${playerId}`;
}

export function registerFrameHandlers(ctx: NetContext, socket: ArenaSocket): void {
  const drop = (reason: FrameDropReason) => ctx.metrics.framesDropped.inc({ reason });

  handle(socket, 'frame:send', ctx.log, (args, reply) => {
    ctx.metrics.framesReceived.inc();
    const payload = args[0];
    if (typeof payload !== 'object' || payload === null) {
      drop('invalid');
      return reply(err(ERROR_CODES.INVALID_PAYLOAD, 'frame:send expects { seq, data }'));
    }
    const { seq, data } = payload as { seq?: unknown; data?: unknown };
    const seqCheck = ctx.validators.frameSeq(seq);
    if (!seqCheck.ok) {
      drop('invalid');
      return reply(err(ERROR_CODES.INVALID_PAYLOAD, `seq: ${seqCheck.message}`));
    }
    const frame = validateFrame(data);
    if (!frame.ok) {
      drop('invalid');
      return reply(err(ERROR_CODES.FRAME_INVALID, frame.reason));
    }
    if (!ctx.frameLimiter(socket).tryTake()) {
      drop('rate_limited');
      return reply(err(ERROR_CODES.RATE_LIMITED, 'more than 10 frames per second; frame dropped'));
    }
    const bound = boundMember(ctx, socket);
    if (!bound) {
      drop('not_in_room');
      return reply(err(ERROR_CODES.NOT_IN_ROOM, 'join a room before sending frames'));
    }
    const ticket = bound.room.acceptFrame(bound.member.id, frame.bytes);
    if (!ticket.ok) {
      drop('outside_round');
      return reply(err(ticket.code, ticket.message));
    }
    const job: FrameJob = {
      socketId: socket.id,
      roomCode: bound.room.code,
      playerId: bound.member.id,
      seq: seqCheck.value,
      ticket: ticket.value,
      // Copy: the Buffer may be a view into a larger socket.io packet.
      crop: Uint8Array.from(frame.bytes),
    };
    ctx.frames.push(frameKey(job.roomCode, job.playerId), job.crop, job);
    reply(ok(null));
  });
}

/** Called by the frame queue with a model output: scores it and answers the sender. */
export function deliverFrameResult(ctx: NetContext, job: FrameJob, probabilities: Float32Array): void {
  const room = ctx.rooms.get(job.roomCode);
  const outcome = room?.recordFrame(job.playerId, job.ticket, probabilities);
  if (!outcome) {
    ctx.metrics.framesDropped.inc({ reason: 'late' });
    return;
  }
  ctx.metrics.framesScored.inc();
  if (!outcome.counted) ctx.metrics.framesUncounted.inc();
  ctx.io.to(job.socketId).emit('frame:result', {
    seq: job.seq,
    probabilities: Array.from(probabilities, (p) => Math.round(p * 10_000) / 10_000),
    match: Math.round(outcome.match * 10_000) / 10_000,
    counted: outcome.counted,
    ...(outcome.reason ? { reason: outcome.reason } : {}),
  });
  ctx.metrics.frameResultLatency.observe((ctx.clock.now() - job.ticket.receivedAt) / 1000);
  // After the result is sent: a consenting player's crop is only remembered here, stored at round end.
  if (room) ctx.donations?.frameScored(job, outcome, probabilities, room.roundStartedAtMs);
}
