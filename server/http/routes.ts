/** Every HTTP route of the game server, in order: headers, JSON bodies, API, pages, assets, errors. */
import express from 'express';
import type { Logger } from '../logging.ts';
import { jsonErrorHandler } from './error-handler.ts';
import { leaderboardRouter } from './leaderboard-routes.ts';
import { type OpsDeps, opsRouter } from './ops-routes.ts';
import { privacyRouter } from './privacy-route.ts';
import { securityHeaders } from './security-headers.ts';
import { registerClientAssets } from './static-assets.ts';

export interface HttpRoutesDeps {
  ops: OpsDeps;
  leaderboard: Parameters<typeof leaderboardRouter>[0];
  log: Logger;
  /** Serve the built browser client (tests of the API alone leave it out). */
  serveClient: boolean;
}

export function mountHttpRoutes(app: express.Express, deps: HttpRoutesDeps): void {
  app.use(securityHeaders());
  app.use(express.json({ limit: '4kb' }));
  app.use(opsRouter(deps.ops));
  app.use(leaderboardRouter(deps.leaderboard));
  app.use(privacyRouter(deps.log));
  if (deps.serveClient) registerClientAssets(app);
  app.use(jsonErrorHandler(deps.log));
}
