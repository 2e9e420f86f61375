import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { PRIVACY_DOC, privacyRouter } from '../../../server/http/privacy-route.ts';
import { silentLogger } from '../../../server/logging.ts';

let server: Server | null = null;

async function serve(file?: string): Promise<string> {
  const app = express();
  app.use(privacyRouter(silentLogger(), file));
  server = createServer(app);
  await new Promise<void>((r) => server?.listen(0, '127.0.0.1', () => r()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

afterEach(async () => {
  await new Promise((r) => server?.close(r));
  server = null;
});

describe('GET /privacy', () => {
  it('shows docs/privacy.md as a page, with its text escaped', async () => {
    const res = await fetch(`${await serve()}/privacy`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html).toContain('Privacy and frame donation');
    expect(html).toContain('Delete my donated crops');
    expect(PRIVACY_DOC.endsWith('docs/privacy.md')).toBe(true);
  });

  it('escapes the document, so markup in it is shown, not run', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'privacy-')), 'privacy.md');
    writeFileSync(file, 'Policy <script>alert("x")</script> & more');
    const html = await (await fetch(`${await serve(file)}/privacy`)).text();
    expect(html).toContain('Policy &#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62; &#38; more');
    expect(html).not.toContain('<script>');
  });

  it('says the policy is unavailable when the file is missing', async () => {
    const res = await fetch(`${await serve('/nonexistent/privacy.md')}/privacy`);
    expect(res.status).toBe(503);
    expect(await res.text()).toBe('The privacy policy is unavailable right now; see docs/privacy.md.');
  });
});
