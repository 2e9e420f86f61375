import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

// `npm run build:client` → client/dist, served by server/http/static-assets.ts.
// In `vite dev` (client/ as root) the game server must run on :3000; the proxy forwards the
// socket and the face-api / tfjs-wasm files it serves.
export default defineConfig({
  root,
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 4000,
  },
  server: {
    proxy: {
      '/socket.io': { target: 'http://localhost:3000', ws: true },
      '/models': 'http://localhost:3000',
      '/vendor': 'http://localhost:3000',
    },
  },
});
