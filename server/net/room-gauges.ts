/** Open rooms and connected members as Prometheus gauges, sampled once a second. */
import type { RoomRegistry } from '../game/room-registry.ts';
import type { ServerMetrics } from '../metrics.ts';

/** Starts sampling; returns the function that stops it. */
export function startRoomGauges(rooms: RoomRegistry, metrics: ServerMetrics): () => void {
  const timer = setInterval(() => {
    metrics.rooms.set(rooms.size);
    let players = 0;
    for (const r of rooms.all()) players += r.connectedCount;
    metrics.players.set(players);
  }, 1000);
  timer.unref();
  return () => clearInterval(timer);
}
