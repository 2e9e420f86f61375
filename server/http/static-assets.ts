/**
 * Serves the browser client and everything it loads at run time from this server:
 * the Vite build (client/dist), the face-api model weights and the tfjs wasm binaries.
 * No CDN: the game must work offline on a LAN.
 *
 * The build is precompressed (client/build/precompress.ts writes .br and .gz next to each
 * file); a request that accepts one gets it, with the original's type. A missing file is a
 * plain 404 that names nothing on the server's disk.
 */
import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express from 'express';

/** URL prefixes the client uses (client/src/config.ts mirrors these). */
export const FACE_MODELS_URL = '/models/face-api';
export const TFJS_WASM_URL = '/vendor/tfjs-wasm';

/**
 * The only tfjs wasm binaries the client loads: SIMD, or plain where SIMD is missing. The
 * threaded build needs cross-origin isolation, which the game does not ask for.
 */
export const TFJS_WASM_FILES = ['tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm.wasm'] as const;

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

/** Encodings we precompress to, best first, with their file suffix. */
const ENCODINGS = [
  { name: 'br', suffix: '.br' },
  { name: 'gzip', suffix: '.gz' },
] as const;

/** Which precompressed variant of `file` to send for this Accept-Encoding, if any. */
export function pickEncoding(
  acceptEncoding: string | undefined,
  file: string,
  exists: (p: string) => boolean = isFile,
): { name: 'br' | 'gzip'; file: string } | null {
  const accepted = new Map<string, number>();
  for (const part of (acceptEncoding ?? '').split(',')) {
    const [token, ...params] = part.trim().toLowerCase().split(';');
    if (!token) continue;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    accepted.set(token, q ? Number(q.slice(2)) : 1);
  }
  for (const enc of ENCODINGS) {
    const q = accepted.get(enc.name) ?? accepted.get('*') ?? 0;
    if (!(q > 0)) continue;
    const candidate = file + enc.suffix;
    if (exists(candidate)) return { name: enc.name, file: candidate };
  }
  return null;
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/** Answers 404 in plain text: no path, no stack, no error code of the game protocol. */
function notFound(_req: express.Request, res: express.Response): void {
  res.status(404).type('text/plain').send('Not found');
}

/** sendFile, with a failure (the file vanished, a read error) answered as a plain 404, never its path. */
function sendFileOr404(req: express.Request, res: express.Response, file: string): void {
  res.sendFile(file, (err) => {
    if (err && !res.headersSent) {
      res.removeHeader('Content-Encoding');
      notFound(req, res);
    }
  });
}

/** Serves a file of the build, compressed when the request accepts it. */
function sendBuildFile(req: express.Request, res: express.Response, file: string, cacheControl: string): void {
  res.setHeader('Vary', 'Accept-Encoding');
  res.setHeader('Cache-Control', cacheControl);
  const encoded = pickEncoding(req.headers['accept-encoding'], file);
  if (encoded) {
    // The type of the original, not of the .br/.gz file.
    res.type(path.extname(file));
    res.setHeader('Content-Encoding', encoded.name);
    sendFileOr404(req, res, encoded.file);
  } else {
    sendFileOr404(req, res, file);
  }
}

/** The build file a request path names, or null when it is not one (or tries to leave the folder). */
function buildFileFor(dist: string, urlPath: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0')) return null;
  const file = path.resolve(dist, `.${path.posix.normalize(`/${decoded}`)}`);
  if (!file.startsWith(dist + path.sep)) return null;
  return isFile(file) ? file : null;
}

export function registerClientAssets(app: express.Express, paths: ClientAssetPaths = resolveClientAssetPaths()): void {
  // Weights never change for a given package version; a day of caching spares LAN bandwidth
  // when a room of players all load ~200 kB at once.
  app.use(FACE_MODELS_URL, express.static(paths.faceModels, { maxAge: '1d', index: false }), notFound);
  const wasm = express.Router();
  for (const name of TFJS_WASM_FILES) {
    wasm.get(`/${name}`, (req, res) => {
      res.setHeader('Cache-Control', 'public, max-age=86400');
      res.type('application/wasm');
      sendFileOr404(req, res, path.join(paths.tfjsWasm, name));
    });
  }
  app.use(TFJS_WASM_URL, wasm, notFound);

  const dist = path.resolve(paths.clientDist);
  const indexHtml = path.join(dist, 'index.html');
  app.use((req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    const file = buildFileFor(dist, req.path);
    if (!file || file === indexHtml) return next();
    // Hashed bundle files can be cached forever; anything else only briefly.
    const hashed = file.startsWith(path.join(dist, 'assets') + path.sep);
    sendBuildFile(req, res, file, hashed ? 'public, max-age=31536000, immutable' : 'public, max-age=300');
  });

  // SPA fallback: `/?room=CODE` and any other page path gets index.html. API-like paths
  // (socket.io, metrics, health) are left to other handlers; a missing file is a plain 404.
  app.use((req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    if (req.path.startsWith('/socket.io')) return next();
    if (path.extname(req.path) !== '') return notFound(req, res);
    if (!(req.headers.accept ?? '').includes('text/html') && req.path !== '/') return next();
    if (!existsSync(indexHtml)) {
      res
        .status(503)
        .type('text/plain')
        .send('The browser client is not built. Run `npm run build:client` and reload.');
      return;
    }
    // index.html must not be cached, or players keep an old build.
    sendBuildFile(req, res, indexHtml, 'no-cache');
  });
}
