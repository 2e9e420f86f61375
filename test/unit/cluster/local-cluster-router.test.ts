/**
 * start:multi's primary routing (server/local-cluster-router.ts) with fake processes and
 * sockets. The case that matters: a long-polling request that arrives before its process has
 * told the primary about the session (the race that made @socket.io/sticky's primary send it
 * to another process, which answered 400 "Session ID unknown").
 */
import { EventEmitter } from 'node:events';
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  ownerOfSessionId,
  type ProcessEvents,
  type RoutedProcess,
  readRequestHead,
  routeConnections,
  sessionIdFor,
} from '../../../server/local-cluster-router.ts';

type Sent = { message: { type: string; data?: unknown; connectionId?: string }; handle?: Socket; readStopped: boolean };

class FakeProcess implements RoutedProcess {
  readonly sent: Sent[] = [];
  dead = false;
  constructor(
    readonly id: number,
    private readonly lastSocket: () => FakeSocket | undefined,
  ) {}
  send(message: unknown, handle?: Socket, callback?: (error: Error | null) => void): boolean {
    this.sent.push({
      message: message as Sent['message'],
      handle,
      readStopped: this.lastSocket()?.readStopped ?? false,
    });
    callback?.(null);
    return true;
  }
  isDead(): boolean {
    return this.dead;
  }
}

class FakeSocket extends EventEmitter {
  parsed: Buffer[] = [];
  readStopped = false;
  destroyed = false;
  written: Buffer[] = [];
  ended: string | undefined;
  remoteAddress = '127.0.0.1';
  remotePort = 50000;
  localAddress = '127.0.0.1';
  localPort = 3000;
  _handle = {
    readStop: (): number => {
      this.readStopped = true;
      return 0;
    },
  };
  write(data: Uint8Array): boolean {
    this.written.push(Buffer.from(data));
    return true;
  }
  end(data?: string): this {
    this.ended = data ?? '';
    return this;
  }
  destroy(): this {
    this.destroyed = true;
    return this;
  }
}

function setUp(ids: number[]) {
  const http = new EventEmitter();
  const events = new EventEmitter();
  let last: FakeSocket | undefined;
  const procs = new Map(ids.map((id) => [id, new FakeProcess(id, () => last)]));
  const router = routeConnections(http as unknown as Server, events as unknown as ProcessEvents);
  const connect = (request: string): FakeSocket => {
    last = new FakeSocket();
    // Stands for the HTTP server's own request parser, which must not see the bytes.
    const parsed = last.parsed;
    last.on('data', (chunk: Buffer) => parsed.push(chunk));
    http.emit('connection', last);
    last.emit('data', Buffer.from(request, 'latin1'));
    return last;
  };
  const announce = (id: number, type: 'sticky:connection' | 'sticky:disconnection', times = 1): void => {
    for (let i = 0; i < times; i++) events.emit('message', procs.get(id), { type, data: 'x' });
  };
  return { http, events, procs, router, connect, announce, proc: (id: number) => procs.get(id) as FakeProcess };
}

const poll = (sid: string): string =>
  `GET /socket.io/?EIO=4&transport=polling&t=abc&sid=${sid} HTTP/1.1\r\nHost: x\r\n\r\n`;
const handshake = 'GET /socket.io/?EIO=4&transport=polling&t=abc HTTP/1.1\r\nHost: x\r\n\r\n';

describe('session ids that name their process', () => {
  it('round-trip the process id and stay random', () => {
    for (const id of [1, 2, 35, 36, 1_000_000]) expect(ownerOfSessionId(sessionIdFor(id))).toBe(id);
    const ids = new Set(Array.from({ length: 1000 }, () => sessionIdFor(3)));
    expect(ids.size).toBe(1000);
    // 12 random bytes: 16 base64url characters after the prefix.
    expect(sessionIdFor(3)).toMatch(/^3_[A-Za-z0-9_-]{16}$/);
  });

  it('name no process for ids made another way', () => {
    for (const sid of [
      'ssO51L53Emo8zXiyAAAA', // Engine.IO's own format
      '2-AAAAAAAAAAAAAAAAAAAA',
      'Z_AAAAAAAAAAAAAAAA', // upper-case prefix
      '2_AAAAAAAAAAAAAAA', // one character short
      '2_AAAAAAAAAAAAAAAAA', // one too many
      '123456789_AAAAAAAAAAAAAAAA', // prefix too long
      '',
    ])
      expect(ownerOfSessionId(sid), sid).toBeNull();
  });

  it('read the sid from the request line only, not from a header', () => {
    expect(readRequestHead(poll('2_AAAAAAAAAAAAAAAA')).sid).toBe('2_AAAAAAAAAAAAAAAA');
    expect(
      readRequestHead(`${handshake.slice(0, -2)}Referer: http://x/?sid=2_AAAAAAAAAAAAAAAA\r\n\r\n`).sid,
    ).toBeNull();
    expect(readRequestHead('GET /socket.io/?EIO=4&xsid=2_AAAAAAAAAAAAAAAA HTTP/1.1\r\n\r\n').sid).toBeNull();
    expect(readRequestHead('POST /socket.io/?sid=ab HTTP/1.1\r\nContent-Length: 2\r\n\r\n')).toEqual({
      sid: 'ab',
      hasBody: true,
    });
  });
});

describe('routeConnections', () => {
  it('sends a polling request to the process that named the session before that process announced it', () => {
    const { router, connect, announce, proc } = setUp([1, 2]);
    router.ready(proc(1));
    router.ready(proc(2));
    // Process 2 is busier, so least-connection alone would pick process 1.
    announce(2, 'sticky:connection', 5);
    connect(poll(sessionIdFor(2)));
    expect(proc(2).sent.map((s) => s.message.type)).toEqual(['sticky:connection']);
    expect(proc(1).sent).toEqual([]);
  });

  it('gives a new session to the least-loaded ready process, never to one still starting', () => {
    const { router, connect, announce, proc } = setUp([1, 2, 3]);
    router.ready(proc(1));
    router.ready(proc(2));
    announce(1, 'sticky:connection', 2);
    announce(2, 'sticky:connection', 1);
    connect(handshake);
    expect(proc(2).sent).toHaveLength(1);
    announce(2, 'sticky:connection', 3);
    connect(handshake);
    expect(proc(1).sent).toHaveLength(1);
    expect(proc(3).sent).toEqual([]); // never said it was ready
    expect(router.load()).toEqual(
      new Map([
        [1, 2],
        [2, 4],
      ]),
    );
    announce(2, 'sticky:disconnection', 4);
    connect(handshake);
    expect(proc(2).sent).toHaveLength(2);
  });

  it('spreads a burst of new connections over processes with equal counts', () => {
    const { router, connect, proc } = setUp([1, 2]);
    router.ready(proc(1));
    router.ready(proc(2));
    // No process has announced any of these sessions yet.
    for (let i = 0; i < 4; i++) connect(handshake);
    expect([proc(1).sent.length, proc(2).sent.length]).toEqual([2, 2]);
  });

  it("routes a dead process's sessions like new ones and answers 503 when no process is ready", () => {
    const { router, events, connect, proc } = setUp([1, 2]);
    const none = connect(handshake);
    expect(none.ended).toMatch(/^HTTP\/1.1 503 /);
    router.ready(proc(1));
    router.ready(proc(2));
    expect(router.serving()).toBe(2);
    proc(2).dead = true;
    // Dead before node:cluster's 'exit' reaches the router (the primary's own listener runs first).
    expect(router.serving()).toBe(1);
    events.emit('exit', proc(2));
    expect(router.serving()).toBe(1);
    connect(poll(sessionIdFor(2)));
    expect(proc(1).sent).toHaveLength(1);
    // A forged prefix naming a process that does not exist is not an error either.
    connect(poll(sessionIdFor(99)));
    expect(proc(1).sent).toHaveLength(2);
  });

  it('stops reading a connection before handing its descriptor over', () => {
    const { router, connect, proc } = setUp([1]);
    router.ready(proc(1));
    const socket = connect('GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nUpgrade: websocket\r\n\r\n');
    const [sent] = proc(1).sent;
    expect(sent?.handle).toBe(socket);
    expect(sent?.readStopped).toBe(true);
    expect(socket.parsed).toEqual([]);
  });

  it('relays a request with a body chunk by chunk and its answer back', () => {
    const { router, events, connect, proc } = setUp([1, 2]);
    router.ready(proc(1));
    router.ready(proc(2));
    const sid = sessionIdFor(2);
    const socket = connect(
      `POST /socket.io/?EIO=4&transport=polling&sid=${sid} HTTP/1.1\r\nContent-Length: 4\r\n\r\n40`,
    );
    socket.emit('data', Buffer.from('{}'));
    const sent = proc(2).sent.map((s) => s.message);
    expect(sent.map((m) => m.type)).toEqual(['sticky:http-chunk-start', 'sticky:http-chunk']);
    expect(socket.readStopped).toBe(false);
    const connectionId = sent[0]?.connectionId as string;
    expect(sent[1]?.connectionId).toBe(connectionId);
    events.emit('message', proc(2), {
      type: 'sticky:http-response',
      connectionId,
      data: new Uint8Array(Buffer.from('ok')),
    });
    events.emit('message', proc(2), { type: 'sticky:http-response-end', connectionId });
    expect(Buffer.concat(socket.written).toString()).toBe('ok');
    expect(socket.ended).toBe('');
    // An answer for a connection that is gone, or a stranger's message, is ignored.
    events.emit('message', proc(2), { type: 'sticky:http-response', connectionId, data: new Uint8Array(1) });
    events.emit('message', proc(2), null);
    events.emit('message', proc(2), 'sticky:http-response');
    expect(socket.written).toHaveLength(1);
  });

  it('closes the relayed requests of a process that exits, and only those', () => {
    const { router, events, connect, proc } = setUp([1, 2]);
    router.ready(proc(1));
    router.ready(proc(2));
    const post = (sid: string) =>
      connect(`POST /socket.io/?EIO=4&transport=polling&sid=${sid} HTTP/1.1\r\nContent-Length: 10\r\n\r\n`);
    const onOne = post(sessionIdFor(1));
    const onTwo = post(sessionIdFor(2));
    proc(1).dead = true;
    events.emit('exit', proc(1));
    expect(onOne.destroyed).toBe(true);
    expect(onTwo.destroyed).toBe(false);
    // Process 2's answer still reaches its client.
    const connectionId = proc(2).sent[0]?.message.connectionId as string;
    events.emit('message', proc(2), { type: 'sticky:http-response', connectionId, data: new Uint8Array([111, 107]) });
    expect(Buffer.concat(onTwo.written).toString()).toBe('ok');
  });

  it('tells the process when a relayed client goes away', () => {
    const { router, connect, proc } = setUp([1]);
    router.ready(proc(1));
    const socket = connect('POST /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nContent-Length: 10\r\n\r\n');
    socket.emit('close');
    expect(proc(1).sent.map((s) => s.message.type)).toEqual(['sticky:http-chunk-start', 'sticky:abort']);
  });
});
