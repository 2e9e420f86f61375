/** GET /healthz, GET /metrics, POST /api/admin/reload-model (bearer token). */
import { timingSafeEqual } from 'node:crypto';
import express from 'express';
import type { Logger } from '../logging.ts';
import type { ServerMetrics } from '../metrics.ts';
import type { ModelInfo, ReloadResult } from '../ml/engine/model-host.ts';
import type { StoreHealth } from '../store/spooled-store.ts';
import { publicPath } from './public-path.ts';

export interface OpsDeps {
  metrics: ServerMetrics;
  log: Logger;
  adminToken: string | null;
  engineName: () => string;
  modelInfo: () => ModelInfo | null;
  reloadModel: (() => Promise<ReloadResult>) | null;
  stats: () => { rooms: number; connections: number };
  isShuttingDown: () => boolean;
  /** The leaderboard store's state; null when the store does not report one. */
  storeHealth?: () => StoreHealth | null;
}

function tokenMatches(header: string | undefined, expected: string): boolean {
  const m = /^Bearer (.+)$/.exec(header ?? '');
  if (!m) return false;
  const a = Buffer.from(m[1] as string);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function opsRouter(deps: OpsDeps): express.Router {
  const router = express.Router();
  const started = Date.now();

  router.get('/healthz', (_req, res) => {
    const info = deps.modelInfo();
    const shuttingDown = deps.isShuttingDown();
    const store = deps.storeHealth?.() ?? null;
    const status = shuttingDown ? 'shutting-down' : store?.status === 'degraded' ? 'degraded' : 'ok';
    res.status(status === 'ok' ? 200 : 503).json({
      status,
      ...(store ? { store } : {}),
      uptimeS: Math.round((Date.now() - started) / 1000),
      engine: deps.engineName(),
      model: info
        ? {
            dir: publicPath(info.dir),
            architecture: info.architecture,
            hasMetrics: info.metrics !== null,
            filesVerified: info.filesVerified ?? null,
            engineChange: info.engineChange ?? null,
          }
        : null,
      ...deps.stats(),
    });
  });

  router.get('/metrics', async (_req, res) => {
    res.setHeader('Content-Type', deps.metrics.registry.contentType);
    res.send(await deps.metrics.registry.metrics());
  });

  router.post('/api/admin/reload-model', async (req, res) => {
    if (!deps.adminToken || !deps.reloadModel) {
      res
        .status(404)
        .json({ ok: false, error: { code: 'UNAVAILABLE', message: 'admin API disabled (set ADMIN_TOKEN)' } });
      return;
    }
    if (!tokenMatches(req.headers.authorization, deps.adminToken)) {
      res.setHeader('WWW-Authenticate', 'Bearer');
      res.status(401).json({ ok: false, error: { code: 'UNAUTHORIZED', message: 'missing or wrong bearer token' } });
      return;
    }
    deps.log.info('model reload requested through the admin API');
    const r = await deps.reloadModel();
    deps.metrics.modelReloads.inc({ result: r.ok ? 'ok' : 'refused' });
    if (r.ok) {
      res.json({
        ok: true,
        data: { dir: publicPath(r.model.dir), architecture: r.model.architecture, engine: r.model.engine },
      });
    } else {
      res.status(422).json({ ok: false, error: { code: 'MODEL_REFUSED', message: r.error } });
    }
  });

  return router;
}
