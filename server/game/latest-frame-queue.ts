// Moved to server/net/ (a transport concern). This re-export keeps an importer that is still being
// written (server/bench/bench-handoff.ts) compiling; delete it once that imports server/net/.
export * from '../net/latest-frame-queue.ts';
