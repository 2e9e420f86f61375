/** Turns getUserMedia failures into what a player can act on. Pure. */

export type CameraProblem = 'insecure' | 'unsupported' | 'denied' | 'no-camera' | 'busy' | 'unknown';

export interface PageContext {
  isSecureContext: boolean;
  hasMediaDevices: boolean;
  protocol: string;
  hostname: string;
  port: string;
}

/** Browsers only expose the camera to https pages and to localhost. */
export function insecureLanOrigin(ctx: PageContext): boolean {
  return !ctx.isSecureContext && ctx.protocol === 'http:';
}

export function classifyCameraError(err: unknown, ctx: PageContext): CameraProblem {
  if (insecureLanOrigin(ctx)) return 'insecure';
  if (!ctx.hasMediaDevices) return 'unsupported';
  const name = typeof err === 'object' && err !== null && 'name' in err ? String((err as { name: unknown }).name) : '';
  switch (name) {
    case 'NotAllowedError':
    case 'PermissionDeniedError':
    case 'SecurityError':
      return 'denied';
    case 'NotFoundError':
    case 'DevicesNotFoundError':
    case 'OverconstrainedError':
      return 'no-camera';
    case 'NotReadableError':
    case 'TrackStartError':
    case 'AbortError':
      return 'busy';
    default:
      return 'unknown';
  }
}

export function cameraProblemMessage(problem: CameraProblem, ctx: PageContext): string {
  switch (problem) {
    case 'insecure': {
      const port = ctx.port ? `:${ctx.port}` : '';
      return (
        `Browsers only allow the camera on secure pages. This page was opened over plain http at ` +
        `${ctx.hostname}${port}, so the camera is blocked. Open https://${ctx.hostname}${port}/ instead ` +
        `(the server can run with a self-signed certificate: accept the warning once), or play on ` +
        `http://localhost on the machine running the server.`
      );
    }
    case 'unsupported':
      return 'This browser does not give web pages access to a camera. Try a current Chrome, Firefox or Safari.';
    case 'denied':
      return 'Camera access was denied. Allow the camera in the address bar (or site settings) and retry, or watch as a spectator.';
    case 'no-camera':
      return 'No camera was found. Plug one in and retry, or watch as a spectator.';
    case 'busy':
      return 'The camera is in use by another application or tab. Close it and retry, or watch as a spectator.';
    default:
      return 'The camera could not be started. Retry, or watch as a spectator.';
  }
}
