/**
 * Judges each round of a browser session from what the pages really received (window.__arena
 * history): every connected player's frames counted through the whole round, and the player
 * whose face shows the prompt held a live meter above 0.2 through the second half, peaked
 * above 0.2 and won. Pure: the session test feeds it the pages' histories and asserts that the
 * list of failures is empty (and, with a frozen camera, that it names the frozen player).
 */

import type { ArenaHistory } from '../../client/src/ui/hooks.ts';
import type { Emotion } from '../../shared/emotions.ts';
import type { RoundResults } from '../../shared/protocol.ts';

/**
 * Counted frames must arrive this soon after the round starts (detection, send, inference on
 * two shared cores with three browsers), keep arriving until this close to its end, and never
 * pause longer than this inside it. A frozen picture fails all three by whole seconds.
 */
export const FIRST_COUNTED_WITHIN_MS = 3000;
export const LAST_COUNTED_WITHIN_MS = 2000;
export const MAX_COUNTED_GAP_MS = 3000;
/**
 * At most this share of a live camera's answered frames may be refused as replays: the
 * server's liveness check compares crops, and a crop that happens to match one of the last
 * 3 s (a still moment) is rightly not counted. A frozen camera is refused every time.
 */
export const MAX_UNCOUNTED_SHARE = 0.25;
export const MIN_PEAK = 0.2;
export const MIN_LIVE_METER = 0.2;

export interface SessionPlayer {
  id: string;
  name: string;
  /** The prompt this player's face shows (null: shows none of the prompted emotions). */
  shows: Emotion | null;
  history: ArenaHistory;
}

export interface RoundWindow {
  index: number;
  prompt: Emotion;
  /** Local time of the first and last room:state of the round phase. */
  start: number;
  end: number;
  results: RoundResults;
}

export interface RoundFailure {
  round: number;
  player: string;
  check: 'counted' | 'peak' | 'meter' | 'winner';
  detail: string;
}

/**
 * The rounds of one game as a page saw them: from its room states (phase 'round') and its
 * round:results. `since`: only states and results after this local time (an earlier game).
 */
export function roundWindows(observer: ArenaHistory, since: number, until = Number.POSITIVE_INFINITY): RoundWindow[] {
  const states = observer.states.filter((s) => s.at >= since && s.at <= until && s.phase === 'round');
  const windows: RoundWindow[] = [];
  for (const results of resultsBetween(observer, since, until)) {
    const inRound = states.filter((s) => s.round === results.index);
    if (inRound.length === 0) continue;
    const first = inRound[0]!;
    const last = inRound.at(-1)!;
    windows.push({
      index: results.index,
      prompt: results.prompt,
      // The first state may come a little after the round started: timeLeftMs says how much.
      start: first.at,
      end: last.at + last.timeLeftMs,
      results,
    });
  }
  return windows;
}

/** round:results are recorded without a time: take those whose round states fall in the window. */
function resultsBetween(h: ArenaHistory, since: number, until: number): RoundResults[] {
  const rounds = new Set(
    h.states.filter((s) => s.at >= since && s.at <= until && s.phase === 'roundResults').map((s) => s.round),
  );
  // The same index appears once per game; keep the last results for each index seen in the window.
  const byIndex = new Map<number, RoundResults>();
  for (const r of h.roundResults) if (rounds.has(r.index)) byIndex.set(r.index, r);
  return [...byIndex.values()].sort((a, b) => a.index - b.index);
}

/**
 * Checks one round. `connected`: players that were in the room, connected, for the whole round
 * (a player reloading mid-round is judged from the next round on).
 */
export function checkRound(
  w: RoundWindow,
  players: SessionPlayer[],
  observer: ArenaHistory,
  connected: (p: SessionPlayer) => boolean,
): RoundFailure[] {
  const failures: RoundFailure[] = [];
  const fail = (player: string, check: RoundFailure['check'], detail: string) =>
    failures.push({ round: w.index, player, check, detail });
  for (const p of players) {
    if (!connected(p)) continue;
    const frames = p.history.frames.filter((f) => f.at >= w.start && f.at <= w.end + 1000 && f.round === w.index);
    const counted = frames.filter((f) => f.counted).map((f) => f.at);
    const uncounted = frames.length - counted.length;
    // Why this page was not sending, if it was not, during the round (for the failure message).
    const during = p.history.capture
      .filter((c) => c.at <= w.end && c.paused !== null && c.paused !== 'no-round')
      .filter((c, i, all) => c.at >= w.start || all[i + 1] === undefined || all[i + 1]!.at > w.start)
      .map((c) => `${Math.max(0, c.at - w.start)} ms ${c.paused}${c.problem ? `/${c.problem}` : ''}`);
    const why = during.length ? ` [not sending: ${during.join(', ')}]` : '';
    if (counted.length === 0) {
      fail(p.name, 'counted', `no counted frame (${frames.length} answered, ${uncounted} not counted)${why}`);
    } else {
      const first = counted[0]! - w.start;
      const tail = w.end - counted.at(-1)!;
      let gap = 0;
      let gapAt = 0;
      for (let i = 1; i < counted.length; i++) {
        const g = counted[i]! - counted[i - 1]!;
        if (g > gap) [gap, gapAt] = [g, counted[i - 1]! - w.start];
      }
      if (first > FIRST_COUNTED_WITHIN_MS)
        fail(p.name, 'counted', `first counted frame ${first} ms into the round${why}`);
      if (tail > LAST_COUNTED_WITHIN_MS) fail(p.name, 'counted', `last counted frame ${tail} ms before the end`);
      if (gap > MAX_COUNTED_GAP_MS) fail(p.name, 'counted', `${gap} ms without a counted frame from ${gapAt} ms${why}`);
      if (uncounted > frames.length * MAX_UNCOUNTED_SHARE)
        fail(p.name, 'counted', `${uncounted} of ${frames.length} frames not counted`);
    }
  }
  const matching = players.filter((p) => p.shows === w.prompt && connected(p));
  const entries = w.results.entries;
  for (const p of matching) {
    const mine = entries.find((e) => e.playerId === p.id);
    if (!mine || mine.peak <= MIN_PEAK) fail(p.name, 'peak', `peak ${mine?.peak ?? 'missing'}`);
    const best = Math.max(...entries.filter((e) => e.playerId !== p.id).map((e) => e.points), 0);
    if (!mine || mine.points <= best) fail(p.name, 'winner', `${mine?.points ?? 0} points, best other ${best}`);
    const half = (w.end - w.start) / 2;
    const secondHalf = observer.states.filter(
      (s) => s.phase === 'round' && s.round === w.index && s.at >= w.start + half && s.at <= w.end,
    );
    const low = secondHalf.filter((s) => (s.meters[p.id] ?? 0) <= MIN_LIVE_METER);
    if (secondHalf.length === 0) fail(p.name, 'meter', 'no room:state in the second half');
    else if (low.length > 0)
      fail(
        p.name,
        'meter',
        `meter ≤ ${MIN_LIVE_METER} in ${low.length} of ${secondHalf.length} states of the second half (lowest ${Math.min(...low.map((s) => s.meters[p.id] ?? 0)).toFixed(2)})`,
      );
  }
  return failures;
}

/** One line per round: prompt → each player's points (and peak). */
export function roundTable(game: string, windows: RoundWindow[], players: SessionPlayer[]): string[] {
  const head = `| game | round | prompt | ${players.map((p) => `${p.name} (${p.shows ?? 'other'})`).join(' | ')} | winner |`;
  const sep = `|---|---|---|${players.map(() => '---|').join('')}---|`;
  const rows = windows.map((w) => {
    const cells = players.map((p) => {
      const e = w.results.entries.find((x) => x.playerId === p.id);
      const frames = p.history.frames.filter((f) => f.at >= w.start && f.at <= w.end + 1000 && f.round === w.index);
      const counted = frames.filter((f) => f.counted).length;
      return e ? `${e.points} (peak ${e.peak.toFixed(2)}, ${counted}/${frames.length} counted)` : '–';
    });
    const top = [...w.results.entries].sort((a, b) => b.points - a.points)[0];
    return `| ${game} | ${w.index + 1} | ${w.prompt} | ${cells.join(' | ')} | ${top?.nickname ?? '–'} |`;
  });
  return [head, sep, ...rows];
}
