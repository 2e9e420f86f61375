/**
 * Writes a brotli (.br) and a gzip (.gz) copy next to every compressible file of the client
 * build, once, at build time (a Vite plugin: see client/vite.config.ts), so the server sends the
 * small file without compressing on each request (server/http/static-assets.ts picks by
 * Accept-Encoding). A copy that would not be smaller is not written.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const COMPRESSIBLE = new Set(['.js', '.mjs', '.css', '.html', '.svg', '.json', '.txt', '.wasm', '.map']);
/** Below this a compressed copy saves less than a packet. */
const MIN_BYTES = 1024;

export interface PrecompressStats {
  files: number;
  bytes: number;
  brotliBytes: number;
  gzipBytes: number;
}

export function precompressDir(dir: string): PrecompressStats {
  const stats: PrecompressStats = { files: 0, bytes: 0, brotliBytes: 0, gzipBytes: 0 };
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      const sub = precompressDir(file);
      stats.files += sub.files;
      stats.bytes += sub.bytes;
      stats.brotliBytes += sub.brotliBytes;
      stats.gzipBytes += sub.gzipBytes;
      continue;
    }
    if (!COMPRESSIBLE.has(path.extname(entry.name)) || statSync(file).size < MIN_BYTES) continue;
    const raw = readFileSync(file);
    const br = brotliCompressSync(raw, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
        [constants.BROTLI_PARAM_SIZE_HINT]: raw.length,
      },
    });
    const gz = gzipSync(raw, { level: 9 });
    if (br.length < raw.length) writeFileSync(`${file}.br`, br);
    if (gz.length < raw.length) writeFileSync(`${file}.gz`, gz);
    stats.files++;
    stats.bytes += raw.length;
    stats.brotliBytes += Math.min(br.length, raw.length);
    stats.gzipBytes += Math.min(gz.length, raw.length);
  }
  return stats;
}
