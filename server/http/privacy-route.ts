/**
 * GET /privacy: docs/privacy.md, the page the home screen's privacy line links to. Served as
 * escaped text in a readable page (no Markdown renderer: the document is written to read
 * well as plain text), read once per request so an edited policy shows without a restart.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express from 'express';
import { PRIVACY_PATH } from '../../shared/donations.ts';
import type { Logger } from '../logging.ts';

export const PRIVACY_DOC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'docs', 'privacy.md');

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function privacyRouter(log: Logger, file: string = PRIVACY_DOC): express.Router {
  const router = express.Router();
  router.get(PRIVACY_PATH, async (_req, res) => {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      log.error({ err, file }, 'privacy policy file is missing');
      res.status(503).type('text/plain').send('The privacy policy is unavailable right now; see docs/privacy.md.');
      return;
    }
    res
      .type('html')
      .send(
        `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">` +
          `<title>Emotion Arena – privacy</title></head><body style="max-width:46rem;margin:2rem auto;padding:0 1rem;font-family:system-ui,sans-serif">` +
          `<p><a href="/">← back to the game</a></p><pre id="privacy" style="white-space:pre-wrap;font-family:inherit">${escapeHtml(text)}</pre></body></html>`,
      );
  });
  return router;
}
