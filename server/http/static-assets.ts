/**
 * Serves the browser client and everything it loads at run time from this server:
 * the Vite build (client/dist), the face-api model weights and the tfjs wasm binaries.
 * No CDN: the game must work offline on a LAN.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express from 'express';

/** URL prefixes the client uses (client/src/config.ts mirrors these). */
export const FACE_MODELS_URL = '/models/face-api';
export const TFJS_WASM_URL = '/vendor/tfjs-wasm';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(import.meta.url);

export interface ClientAssetPaths {
  clientDist: string;
  faceModels: string;
  tfjsWasm: string;
}

/** Locates the package folders through Node's resolver so hoisting or workspaces do not matter. */
export function resolveClientAssetPaths(): ClientAssetPaths {
  const faceApiRoot = path.dirname(require.resolve('@vladmandic/face-api/package.json'));
  const wasmRoot = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
  return {
    clientDist: process.env.CLIENT_DIST_DIR ?? path.join(repoRoot, 'client', 'dist'),
    faceModels: path.join(faceApiRoot, 'model'),
    tfjsWasm: path.join(wasmRoot, 'dist'),
  };
}

export function registerClientAssets(app: express.Express, paths: ClientAssetPaths = resolveClientAssetPaths()): void {
  // Weights never change for a given package version; a day of caching spares LAN bandwidth
  // when a room of players all load ~200 kB at once.
  app.use(FACE_MODELS_URL, express.static(paths.faceModels, { maxAge: '1d', fallthrough: false }));
  app.use(
    TFJS_WASM_URL,
    express.static(paths.tfjsWasm, {
      maxAge: '1d',
      fallthrough: false,
      // Only the .wasm binaries are needed; the JS of the package is bundled by Vite.
      setHeaders: (res, file) => {
        if (file.endsWith('.wasm')) res.setHeader('Content-Type', 'application/wasm');
      },
    }),
  );

  const indexHtml = path.join(paths.clientDist, 'index.html');
  // Hashed bundle files can be cached forever; index.html must not be, or players keep an old build.
  app.use(
    express.static(paths.clientDist, {
      index: false,
      setHeaders: (res, file) => {
        if (file.includes(`${path.sep}assets${path.sep}`))
          res.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
      },
    }),
  );

  // SPA fallback: `/?room=CODE` and any other page path gets index.html. API-like paths
  // (socket.io, metrics, health, missing files with an extension) are left to other handlers / 404.
  app.use((req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    if (req.path.startsWith('/socket.io') || path.extname(req.path) !== '') return next();
    if (!(req.headers.accept ?? '').includes('text/html') && req.path !== '/') return next();
    if (!existsSync(indexHtml)) {
      res
        .status(503)
        .type('text/plain')
        .send('The browser client is not built. Run `npm run build:client` and reload.');
      return;
    }
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(indexHtml);
  });
}
