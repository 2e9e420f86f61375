/**
 * The primary's side of start:multi's connection routing (server/local-cluster.ts): which
 * process gets each new TCP connection, and handing it over. The processes' side stays
 * `setupWorker` from @socket.io/sticky, whose IPC messages this speaks.
 *
 * Why not @socket.io/sticky's `setupPrimary`, which this replaces: it routes a long-polling
 * request by a map from session id to process that the process fills by an IPC message sent
 * just after it has written the handshake's answer. The client's next request (its CONNECT
 * packet, on a new connection) races that message to the primary; when it wins, the request goes
 * to the least-loaded process, which answers 400 "Session ID unknown" and the player's connection
 * fails (socket.io-sticky issue #2; here ~1 in 4 full test runs failed with `xhr post error`).
 * Here a process names itself in the session ids it creates (`sessionIdFor`), so the owner is
 * read from the request itself, with no map and no race. The rest is what had been patched on
 * top of sticky: a process is chosen only once it has said it is ready, and a connection
 * handed over as a file descriptor stops being read here first.
 */
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { Socket } from 'node:net';

/** Process ids (node:cluster's `Worker.id`) in session ids: base 36, then `_`, then random. */
const SESSION_ID = /^([0-9a-z]{1,8})_[A-Za-z0-9_-]{16}$/;

/**
 * An Engine.IO session id that names the process that owns it: `<worker id, base 36>_<16
 * base64url characters>` (96 random bits, as unguessable as Engine.IO's own 120-bit ids for
 * this purpose: a session id only lets its holder speak for that connection).
 */
export function sessionIdFor(workerId: number, random: Buffer = randomBytes(12)): string {
  if (!Number.isSafeInteger(workerId) || workerId < 0) throw new RangeError(`bad worker id ${workerId}`);
  if (random.length !== 12) throw new RangeError('a session id takes 12 random bytes');
  return `${workerId.toString(36)}_${random.toString('base64url')}`;
}

/** The process a session id names, or null for an id this scheme did not make. */
export function ownerOfSessionId(sid: string): number | null {
  const m = SESSION_ID.exec(sid);
  if (!m) return null;
  const id = Number.parseInt(m[1] as string, 36);
  return Number.isSafeInteger(id) ? id : null;
}

/** What routing needs from a request's head: its session id (query `sid`) and whether a body follows. */
export function readRequestHead(head: string): { sid: string | null; hasBody: boolean } {
  const requestLine = head.slice(0, head.indexOf('\r\n') >>> 0);
  const sid = /[?&]sid=([A-Za-z0-9_-]{1,64})(?:[&\s#]|$)/.exec(requestLine)?.[1] ?? null;
  const lower = head.toLowerCase();
  return { sid, hasBody: lower.includes('content-length:') || lower.includes('transfer-encoding:') };
}

/** The part of node:cluster's Worker the router uses (a fake in the unit tests). */
export interface RoutedProcess {
  readonly id: number;
  send(message: unknown, handle?: Socket, callback?: (error: Error | null) => void): boolean;
  isDead(): boolean;
}

/** What the router hears from the processes and from node:cluster. */
export interface ProcessEvents {
  on(event: 'message', listener: (worker: RoutedProcess, message: unknown) => void): unknown;
  on(event: 'exit', listener: (worker: RoutedProcess) => void): unknown;
}

export interface ConnectionRouter {
  /** The process serves handed-over connections from now on. */
  ready(worker: RoutedProcess): void;
  /** Connections each ready process holds (for tests and logs). */
  load(): Map<number, number>;
  /** Ready processes still alive (a process that has just exited no longer counts). */
  serving(): number;
}

type StickyMessage = { type?: unknown; data?: unknown; connectionId?: unknown; error?: unknown };

/**
 * Routes every connection `http` accepts: a request naming a session goes to the process that
 * made the session (when it is still ready), any other to the ready process with the fewest
 * Engine.IO connections. With no ready process the client gets 503 and retries.
 */
export function routeConnections(http: Server, events: ProcessEvents): ConnectionRouter {
  const ready = new Map<number, RoutedProcess>();
  const connections = new Map<number, number>();
  // Requests with a body stay here: their chunks go over IPC and their answers come back.
  const relayed = new Map<string, { socket: Socket; target: RoutedProcess }>();

  // A process counts a session only once it exists, so a burst of new connections all see the
  // same counts: ties go round-robin, or the whole burst would land on one process.
  let turn = 0;
  const alive = (): RoutedProcess[] => [...ready.values()].filter((w) => !w.isDead());
  const leastLoaded = (): RoutedProcess | undefined => {
    const live = alive();
    let best: RoutedProcess | undefined;
    for (let i = 0; i < live.length; i++) {
      const w = live[(turn + i) % live.length] as RoutedProcess;
      if (!best || (connections.get(w.id) ?? 0) < (connections.get(best.id) ?? 0)) best = w;
    }
    turn++;
    return best;
  };
  const route = (sid: string | null): RoutedProcess | undefined => {
    const owner = sid === null ? null : ownerOfSessionId(sid);
    const named = owner === null ? undefined : ready.get(owner);
    // The owner gone (its sessions with it): any process answers "Session ID unknown", and the
    // client starts a new session.
    return named && !named.isDead() ? named : leastLoaded();
  };

  http.on('connection', (socket: Socket) => {
    let target: RoutedProcess | undefined;
    let connectionId: string | undefined;
    const closeOnError = (err: Error | null): void => {
      if (err) socket.destroy();
    };
    // The HTTP server only accepts connections here: its request parser must not read them
    // (it would time out requests it never sees finish and answer them with 408).
    socket.removeAllListeners('data');
    socket.on('data', (chunk: Buffer) => {
      if (target && connectionId) {
        if (target.isDead()) socket.destroy();
        else target.send({ type: 'sticky:http-chunk', data: chunk, connectionId }, undefined, closeOnError);
        return;
      }
      const end = chunk.indexOf('\r\n\r\n');
      const { sid, hasBody } = readRequestHead(chunk.subarray(0, end < 0 ? chunk.length : end).toString('latin1'));
      target = route(sid);
      if (!target) {
        socket.on('error', () => socket.destroy());
        socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      if (!hasBody) {
        // Node detaches a handle on sending it but keeps reading it until the IPC write is done:
        // bytes the client sends meanwhile (a WebSocket's first frames, right after the upgrade)
        // would be read here and lost, and that player's connection would never complete. Stop
        // reading first; the bytes wait in the kernel for the process. No public API stops a
        // socket's reads at once (pause() only stops delivering them).
        (socket as Socket & { _handle?: { readStop?: () => number } | null })._handle?.readStop?.();
        target.send({ type: 'sticky:connection', data: chunk }, socket, closeOnError);
        return;
      }
      // A request with a body may arrive in several chunks: both processes reading one socket
      // would split it unpredictably, so this one keeps it and relays (as sticky does).
      connectionId = randomBytes(8).toString('hex');
      relayed.set(connectionId, { socket, target });
      target.send(
        {
          type: 'sticky:http-chunk-start',
          data: chunk,
          connectionId,
          socketInfo: {
            remoteAddress: socket.remoteAddress,
            remotePort: socket.remotePort,
            localAddress: socket.localAddress,
            localPort: socket.localPort,
          },
        },
        undefined,
        closeOnError,
      );
    });
    socket.on('close', () => {
      if (!connectionId || !relayed.delete(connectionId)) return;
      if (target && !target.isDead()) target.send({ type: 'sticky:abort', connectionId });
    });
  });

  events.on('message', (worker, raw) => {
    const message = raw as StickyMessage | null;
    const relay = typeof message?.connectionId === 'string' ? relayed.get(message.connectionId)?.socket : undefined;
    switch (message?.type) {
      case 'sticky:http-response':
        // A Buffer arrives as a Uint8Array under 'advanced' IPC serialization.
        if (relay && !relay.destroyed && message.data instanceof Uint8Array) relay.write(message.data);
        break;
      case 'sticky:http-response-end':
        if (relay && !relay.destroyed) relay.end();
        relayed.delete(message.connectionId as string);
        break;
      case 'sticky:http-response-destroy':
        if (relay && !relay.destroyed)
          relay.destroy(typeof message.error === 'string' ? new Error(message.error) : undefined);
        relayed.delete(message.connectionId as string);
        break;
      // A process counts its Engine.IO sessions for least-connection balancing.
      case 'sticky:connection':
        connections.set(worker.id, (connections.get(worker.id) ?? 0) + 1);
        break;
      case 'sticky:disconnection':
        connections.set(worker.id, Math.max(0, (connections.get(worker.id) ?? 0) - 1));
        break;
    }
  });
  events.on('exit', (worker) => {
    ready.delete(worker.id);
    connections.delete(worker.id);
    // Its relayed requests will never be answered: close them now rather than leave each client
    // waiting for its own timeout (it retries, and reaches a live process).
    for (const [id, r] of relayed) {
      if (r.target.id !== worker.id) continue;
      relayed.delete(id);
      r.socket.destroy();
    }
  });

  return {
    ready(worker) {
      ready.set(worker.id, worker);
      if (!connections.has(worker.id)) connections.set(worker.id, 0);
    },
    load: () => new Map([...ready.keys()].map((id) => [id, connections.get(id) ?? 0])),
    serving: () => alive().length,
  };
}
