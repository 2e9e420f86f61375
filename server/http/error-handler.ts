/**
 * The last Express handler: every error becomes the API's `{ ok: false, error }` shape. A
 * client's mistake (a 4xx from a parser, e.g. malformed JSON) says what was wrong; anything else
 * is logged and answered INTERNAL without details.
 */
import type { ErrorRequestHandler } from 'express';
import type { Logger } from '../logging.ts';

export function jsonErrorHandler(log: Logger): ErrorRequestHandler {
  return (err: unknown, _req, res, _next) => {
    const status = (err as { status?: number }).status ?? 500;
    if (status >= 500) log.error({ err }, 'http error');
    res.status(status).json({
      ok: false,
      error:
        status >= 500
          ? { code: 'INTERNAL', message: 'internal server error' }
          : { code: 'INVALID_PAYLOAD', message: String((err as Error).message ?? err) },
    });
  };
}
