/**
 * Security headers on every HTTP response (helmet): a Content-Security-Policy that lets the
 * game load only its own scripts, styles, wasm and sockets; no framing by other sites
 * (clickjacking a camera game); no MIME sniffing.
 */
import type { RequestHandler } from 'express';
import helmet from 'helmet';

export const CONTENT_SECURITY_POLICY = {
  'default-src': ["'self'"],
  // face-api's tfjs wasm backend compiles its .wasm binaries: that needs 'wasm-unsafe-eval' (not 'unsafe-eval').
  'script-src': ["'self'", "'wasm-unsafe-eval'"],
  'worker-src': ["'self'", 'blob:'],
  // Phaser builds its default textures from data: URIs; captured frames are drawn through blob: URLs.
  'img-src': ["'self'", 'data:', 'blob:'],
  'media-src': ["'self'", 'blob:'],
  'style-src': ["'self'"],
  'font-src': ["'self'", 'data:'],
  // 'self' covers ws:/wss: to the same host (CSP level 3), which is all Socket.IO needs.
  'connect-src': ["'self'"],
  'object-src': ["'none'"],
  'base-uri': ["'self'"],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
} as const;

export function securityHeaders(): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      // No upgrade-insecure-requests: LAN play over plain http on localhost must keep loading its files.
      directives: Object.fromEntries(Object.entries(CONTENT_SECURITY_POLICY).map(([k, v]) => [k, [...v]])),
    },
    xFrameOptions: { action: 'deny' },
    // No HSTS: LAN play uses self-signed certificates, and pinning https on localhost breaks plain-http dev servers.
    strictTransportSecurity: false,
  });
}
