/**
 * Which web pages may open a Socket.IO connection. Without a check, any site a visitor
 * opens could drive that visitor's browser as a bot in a game here (cross-site WebSocket
 * hijacking). Browsers always send `Origin` on WebSocket and cross-origin requests, and a
 * page cannot forge it; clients that are not browsers (bots, tests) send none and are let in,
 * since they could send any Origin anyway.
 */
import type { IncomingMessage } from 'node:http';

/** `scheme://host[:port]` as the browser writes it, or null when `value` is not an http(s) origin. */
export function normalizeOrigin(value: string): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  if (url.pathname !== '/' || url.search || url.hash || url.username || url.password) return null;
  return url.origin;
}

/**
 * True when a request with this Origin may connect: no Origin, an origin on `allowList`, or (the
 * default) the page's own origin, i.e. an Origin whose host:port is the Host the request was sent to.
 */
export function originAllowed(
  origin: string | undefined,
  host: string | undefined,
  allowList: readonly string[],
): boolean {
  if (origin === undefined) return true;
  const normalized = normalizeOrigin(origin);
  if (normalized === null) return false; // "null" (sandboxed frames, file://) and garbage
  if (allowList.includes(normalized)) return true;
  return host !== undefined && new URL(normalized).host === host.toLowerCase();
}

/** Socket.IO's `allowRequest` option: refuses a foreign Origin with 403 and says why. */
export function originGuard(
  allowList: readonly string[],
  onRefused: (origin: string) => void,
): (req: IncomingMessage, callback: (err: string | null | undefined, success: boolean) => void) => void {
  return (req, callback) => {
    const origin = req.headers.origin;
    if (originAllowed(origin, req.headers.host, allowList)) return callback(null, true);
    onRefused(String(origin));
    callback(`origin ${String(origin).slice(0, 100)} is not allowed to connect (see ALLOWED_ORIGINS)`, false);
  };
}
