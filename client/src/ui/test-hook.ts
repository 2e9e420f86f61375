/**
 * Fills window.__arena (see hooks.ts) from the bus: the latest of everything, plus a bounded
 * history of frame answers, room states and round results, so an end-to-end test can judge
 * every round of a session from what this page really received.
 */
import type { AppContext } from '../core/context.ts';
import { type ArenaHook, pushBounded } from './hooks.ts';

export function mountTestHook(ctx: AppContext): ArenaHook {
  const { bus, store, capture } = ctx;
  const hook: ArenaHook = {
    scene: '',
    capture: null,
    detector: null,
    room: null,
    self: null,
    lastFrameResult: null,
    frameResults: 0,
    connection: 'connecting',
    leaderboard: null,
    final: null,
    lastFrameBase64: () => {
      const f = capture.lastFrame;
      if (!f) return null;
      let s = '';
      for (const b of f) s += String.fromCharCode(b);
      return btoa(s);
    },
    history: { frames: [], refused: [], states: [], roundResults: [], capture: [] },
    frameHint: null,
    timings: { scriptAtMs: null, rejoinedAtMs: null, interactiveAtMs: null, detectorReadyAtMs: null },
  };
  window.__arena = hook;
  const roundIndex = () => store.room?.round?.index ?? null;
  bus.on('capture', (c) => {
    hook.capture = c;
    hook.detector = capture.detectorInfo;
    if (c.backend !== null) hook.timings.detectorReadyAtMs ??= Math.round(performance.now());
    const last = hook.history.capture.at(-1);
    if (!last || last.paused !== c.pausedReason || last.problem !== c.videoProblem) {
      pushBounded(hook.history.capture, { at: Date.now(), paused: c.pausedReason, problem: c.videoProblem });
    }
  });
  bus.on('room', (r) => {
    hook.room = r;
    hook.self = store.self;
    const meters: Record<string, number> = {};
    for (const p of r.players) if (p.role === 'player') meters[p.id] = p.meter;
    pushBounded(hook.history.states, {
      at: Date.now(),
      phase: r.phase,
      round: r.round?.index ?? null,
      timeLeftMs: r.round?.timeLeftMs ?? 0,
      meters,
      connected: r.players.filter((p) => p.connected).map((p) => p.id),
    });
  });
  bus.on('joined', (j) => {
    hook.room = j.state;
    hook.self = j.self;
  });
  bus.on('frameResult', (r) => {
    hook.lastFrameResult = r;
    hook.frameResults++;
    pushBounded(hook.history.frames, {
      at: Date.now(),
      round: roundIndex(),
      seq: r.seq,
      counted: r.counted,
      match: r.match,
      reason: r.reason ?? null,
    });
  });
  bus.on('frameRefused', (code) => {
    pushBounded(hook.history.refused, { at: Date.now(), round: roundIndex(), code });
  });
  bus.on('roundResults', (r) => pushBounded(hook.history.roundResults, r));
  bus.on('connection', (s) => {
    hook.connection = s;
  });
  bus.on('final', (f) => {
    hook.final = f;
  });
  bus.on('frameFeedback', (f) => {
    hook.frameHint = f.message;
  });
  return hook;
}
