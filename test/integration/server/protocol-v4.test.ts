/**
 * Protocol 4 over real sockets (docs/protocol.md, "Protocol versions"): room patches ride on the
 * player's frame results. What a player of each version sees in one room during a round: every
 * revision of the room, the same at each revision whatever way it came, and — for the protocol 4
 * player who sends frames — about one message per frame instead of two. A protocol 4 member who
 * sends no frames (camera off) still gets every patch, on its own. And the browser's own network
 * client (client/src/net/arena-client.ts) shows every revision from the patches on its results.
 */
import { describe, expect, it } from 'vitest';
import { type BusEvents, EventBus } from '../../../client/src/core/event-bus.ts';
import { ArenaClient } from '../../../client/src/net/arena-client.ts';
import { RoomStateSync } from '../../../client/src/net/room-state-sync.ts';
import { emotionId } from '../../../shared/emotions.ts';
import { encodeFramePacket } from '../../../shared/frame-packet.ts';
import type { FrameResult, JoinResult, RoomState } from '../../../shared/protocol.ts';
import {
  ask,
  type Bot,
  markerEngine,
  markerFrame,
  newToken,
  serverForSuite,
  until,
  waitFor,
} from '../../helpers/server-harness.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What a client shows, minus the clock (which moves on by itself). */
const shown = (s: RoomState) => ({ ...s, serverTime: 0, round: s.round && { ...s.round, timeLeftMs: 0 } });

/** A client's view of the room as the browser client builds it (client/src/net/arena-client.ts). */
function follow(socket: Bot) {
  const sync = new RoomStateSync();
  const byRev = new Map<number, ReturnType<typeof shown>>();
  /** Revisions that arrived as whole states. */
  const wholeRevs = new Set<number>();
  const seen = { messages: 0, patchMessages: 0, ridingPatches: 0, unapplied: 0, results: 0 };
  const keep = (s: RoomState | null) => {
    if (s?.rev !== undefined) byRev.set(s.rev, shown(s));
  };
  socket.io.engine.on('packet', (p: { type: string }) => {
    if (p.type === 'message') seen.messages++;
  });
  socket.on('room:state', (s) => {
    if (s.rev !== undefined) wholeRevs.add(s.rev);
    keep(sync.whole(s));
  });
  socket.on('room:patch', (p) => {
    seen.patchMessages++;
    const s = sync.patch(p);
    if (!s) seen.unapplied++;
    keep(s);
  });
  socket.on('frame:result', (r: FrameResult) => {
    seen.results++;
    if (!r.patch) return;
    seen.ridingPatches++;
    const s = sync.patch(r.patch);
    if (!s) seen.unapplied++;
    keep(s);
  });
  return { sync, byRev, wholeRevs, seen };
}

describe('protocol 4: room patches ride on frame results', () => {
  const suite = serverForSuite({ engine: markerEngine(3) });
  const connect = suite.connect;

  it('players of protocols 1, 3 and 4 see the same room at every revision; a sending v4 player gets one message per frame', async () => {
    const host = await connect({ auth: { v: 4 } });
    const views = new Map<string, ReturnType<typeof follow>>();
    views.set('host', follow(host));
    const created = await ask<JoinResult>(host, 'room:create', {
      nickname: 'Host',
      playerToken: newToken('h'),
      settings: { rounds: 1, roundSeconds: 4, emotions: ['happy'] },
    });
    if (!created.ok) throw new Error(created.error.message);
    const code = created.data.state.code;
    views.get('host')?.sync.whole(created.data.state);
    const others: [string, object][] = [
      ['three', { auth: { v: 3 } }],
      ['one', {}],
      ['idle', { auth: { v: 4 } }],
      ['four', { auth: { v: 4 } }],
    ];
    const bots = new Map<string, Bot>([['host', host]]);
    for (const [name, options] of others) {
      const s = await connect(options);
      const view = follow(s);
      views.set(name, view);
      bots.set(name, s);
      const joined = await ask<JoinResult>(s, 'room:join', { code, nickname: name, playerToken: newToken(name) });
      if (!joined.ok) throw new Error(joined.error.message);
      view.sync.whole(joined.data.state);
    }
    const round = waitFor(host, 'room:state', (s: RoomState) => s.phase === 'round');
    expect((await ask(host, 'game:start')).ok).toBe(true);
    await round;
    const resultsOut = waitFor(host, 'round:results', () => true, 15_000);
    const before = new Map([...views].map(([name, v]) => [name, { ...v.seen }]));
    // Every player but 'idle' sends frames at 5 a second, the way its version sends them.
    const happy = emotionId('happy');
    let seq = 0;
    const senders = ['host', 'three', 'four', 'one'];
    const sent = new Map(senders.map((n) => [n, 0]));
    const stop = Date.now() + 3000;
    while (Date.now() < stop) {
      seq++;
      for (const name of senders) {
        const s = bots.get(name) as Bot;
        // Happy, then something else, in turn: the meters keep moving, so the room keeps changing.
        const frame = markerFrame(
          (seq + senders.indexOf(name)) % 2 === 0 ? happy : emotionId('sad'),
          seq * 10 + senders.indexOf(name),
        );
        if (name === 'one') s.emit('frame:send', { seq, data: frame }, () => {});
        else s.io.engine.send(encodeFramePacket(seq, frame));
        sent.set(name, (sent.get(name) ?? 0) + 1);
      }
      await sleep(200);
    }
    await until(
      () => (views.get('four')?.seen.results ?? 0) - (before.get('four')?.results ?? 0) >= (sent.get('four') ?? 0),
    );
    await resultsOut;
    await sleep(300);

    const three = views.get('three') as ReturnType<typeof follow>;
    const revsInRound = [...three.byRev.keys()].filter((rev) => three.byRev.get(rev)?.phase === 'round');
    expect(revsInRound.length).toBeGreaterThan(8);
    for (const name of ['host', 'four', 'idle']) {
      const v = views.get(name) as ReturnType<typeof follow>;
      // Every patch applied, in order: none arrived on a base this client did not have.
      expect(v.seen.unapplied, name).toBe(0);
      // Every revision the protocol 3 player saw, this one saw too, and it showed the same room —
      // but for a patch still riding when a whole state replaced it (it is dropped: nobody needs it).
      for (const rev of revsInRound) {
        if (!v.byRev.has(rev) && three.wholeRevs.has(rev + 1)) continue;
        expect(v.byRev.get(rev), `${name} at rev ${rev}`).toEqual(three.byRev.get(rev));
      }
    }
    // The protocol 1 player gets whole states, with the same revisions.
    const one = views.get('one') as ReturnType<typeof follow>;
    for (const rev of revsInRound) expect(one.byRev.get(rev), `one at rev ${rev}`).toEqual(three.byRev.get(rev));

    const during = (name: string) => {
      const v = views.get(name) as ReturnType<typeof follow>;
      const b = before.get(name) as ReturnType<typeof follow>['seen'];
      return {
        messages: v.seen.messages - b.messages,
        riding: v.seen.ridingPatches - b.ridingPatches,
        alone: v.seen.patchMessages - b.patchMessages,
      };
    };
    const four = during('four');
    const idle = during('idle');
    const v3 = during('three');
    // The sending v4 player's patches mostly rode on its results; the idle one's all came alone.
    expect(four.riding).toBeGreaterThan(2 * four.alone);
    expect(idle.riding).toBe(0);
    expect(idle.alone).toBeGreaterThan(8);
    expect(v3.riding).toBe(0);
    // Fewer messages for the same frames and the same room: a protocol 3 player gets about two a frame.
    expect(four.messages).toBeLessThan(0.8 * v3.messages);

    // /metrics counts the same deliveries the protocol 4 clients saw (operators' view of it).
    const v4Clients = ['host', 'four', 'idle'].map((n) => views.get(n) as ReturnType<typeof follow>);
    const counted = async (way: string) => {
      const text = await (await fetch(`${suite.server.url}/metrics`)).text();
      const m = text.match(new RegExp(`^emotion_arena_protocol4_patches_total\\{way="${way}"\\} (\\d+)`, 'm'));
      return Number(m?.[1] ?? 0);
    };
    expect(await counted('result')).toBe(v4Clients.reduce((n, v) => n + v.seen.ridingPatches, 0));
    expect(await counted('alone')).toBe(v4Clients.reduce((n, v) => n + v.seen.patchMessages, 0));

    // Every frame message of the protocol 3 and 4 players came the short way (server/net/frame-tap.ts);
    // the protocol 1 player's frames are Socket.IO events with attachments, which never do.
    const metrics = await (await fetch(`${suite.server.url}/metrics`)).text();
    const metric = (name: string) => Number(metrics.match(new RegExp(`^${name} (\\d+)`, 'm'))?.[1] ?? Number.NaN);
    const messagesSent = ['host', 'three', 'four'].reduce((n, name) => n + (sent.get(name) ?? 0), 0);
    expect(metric('emotion_arena_frames_tapped_total')).toBe(messagesSent);
    expect(metric('emotion_arena_frames_received_total')).toBe(messagesSent + (sent.get('one') ?? 0));
  });
  it("the browser's client shows the room at every broadcast while its patches ride on its frames' results", async () => {
    const bus = new EventBus<BusEvents>();
    const shownStates: RoomState[] = [];
    bus.on('room', (state) => shownStates.push(state));
    const browser = new ArenaClient(bus, newToken('browser'), suite.server.url);
    suite.disconnectAtEnd(browser.socket);
    await until(() => browser.connected);
    const created = await browser.createRoom('Browser', 'player', { rounds: 1, roundSeconds: 3, emotions: ['happy'] });
    // A protocol 3 player in the same room: it gets every patch as a message of its own.
    const other = await connect({ auth: { v: 3 } });
    const view = follow(other);
    const joined = await ask<JoinResult>(other, 'room:join', {
      code: created.state.code,
      nickname: 'Other',
      playerToken: newToken('other'),
    });
    if (!joined.ok) throw new Error(joined.error.message);
    view.sync.whole(joined.data.state);
    let browserRiding = 0;
    browser.socket.on('frame:result', (r: FrameResult) => {
      if (r.patch) browserRiding++;
    });
    const round = waitFor(other, 'room:state', (st: RoomState) => st.phase === 'round');
    await browser.startGame();
    await round;
    const happy = emotionId('happy');
    const sad = emotionId('sad');
    for (let seq = 1; seq <= 12; seq++) {
      browser.sendFrame(seq, markerFrame(seq % 2 === 0 ? happy : sad, seq));
      other.io.engine.send(encodeFramePacket(seq, markerFrame(seq % 2 === 0 ? sad : happy, 1000 + seq)));
      await sleep(200);
    }
    await sleep(300);
    const inRound = (revs: Iterable<number>) => [...revs].filter((rev) => view.byRev.get(rev)?.phase === 'round');
    const otherRevs = inRound(view.byRev.keys());
    const browserByRev = new Map(shownStates.filter((st) => st.rev !== undefined).map((st) => [st.rev as number, st]));
    expect(otherRevs.length).toBeGreaterThan(8);
    expect(browserRiding).toBeGreaterThan(4);
    // The page showed each of those revisions, as the protocol 3 player had it (a patch dropped for a
    // whole state that replaced it aside).
    let missing = 0;
    for (const rev of otherRevs) {
      const st = browserByRev.get(rev);
      if (!st) {
        missing++;
        continue;
      }
      expect(shown(st), `rev ${rev}`).toEqual(view.byRev.get(rev));
    }
    expect(missing).toBeLessThanOrEqual(1);
  });
});
