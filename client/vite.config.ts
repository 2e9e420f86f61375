import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';
import { precompressDir } from './build/precompress.ts';

const root = fileURLToPath(new URL('.', import.meta.url));

/** After the bundle is written: .br and .gz copies for the server to send (see build/precompress.ts). */
function precompress(): Plugin {
  let outDir = '';
  return {
    name: 'arena-precompress',
    apply: 'build',
    configResolved(config) {
      outDir = path.resolve(config.root, config.build.outDir);
    },
    closeBundle() {
      const s = precompressDir(outDir);
      const kb = (n: number) => `${Math.round(n / 1024)} kB`;
      console.log(
        `precompressed ${s.files} files: ${kb(s.bytes)} → brotli ${kb(s.brotliBytes)}, gzip ${kb(s.gzipBytes)}`,
      );
    },
  };
}

// `npm run build:client` → client/dist, served by server/http/static-assets.ts.
// In `vite dev` (client/ as root) the game server must run on :3000; the proxy forwards the
// socket and the face-api / tfjs-wasm files it serves.
export default defineConfig({
  root,
  base: '/',
  plugins: [precompress()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // The entry is small (socket, capture, rejoin); Phaser and the scenes, and face-api with
    // tfjs, are separate chunks loaded after it, so the home screen does not wait for face-api.
    chunkSizeWarningLimit: 1600,
    rollupOptions: {
      output: {
        manualChunks(id) {
          if (id.includes('node_modules/phaser')) return 'phaser';
          return undefined;
        },
      },
    },
  },
  server: {
    proxy: {
      '/socket.io': { target: 'http://localhost:3000', ws: true },
      '/models': 'http://localhost:3000',
      '/vendor': 'http://localhost:3000',
    },
  },
});
