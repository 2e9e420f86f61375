/**
 * `npm run cert`: writes a self-signed certificate for LAN play to certs/
 * (browsers allow the camera only on https or localhost). Then start with
 * TLS_CERT=certs/cert.pem TLS_KEY=certs/key.pem npm start.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { join, resolve } from 'node:path';
import selfsigned from 'selfsigned';

function lanAddresses(): string[] {
  const out: string[] = [];
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) out.push(a.address);
  }
  return out;
}

async function main(): Promise<void> {
  const dir = resolve(process.argv[2] ?? 'certs');
  const ips = ['127.0.0.1', ...lanAddresses()];
  const altNames = [{ type: 2 as const, value: 'localhost' }, ...ips.map((ip) => ({ type: 7 as const, ip }))];
  const pems = await selfsigned.generate([{ name: 'commonName', value: 'emotion-arena.local' }], {
    keySize: 2048,
    notAfterDate: new Date(Date.now() + 365 * 24 * 3600 * 1000),
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames },
    ],
  } as Parameters<typeof selfsigned.generate>[1]);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'cert.pem'), pems.cert);
  writeFileSync(join(dir, 'key.pem'), pems.private, { mode: 0o600 });
  process.stdout.write(
    `wrote ${join(dir, 'cert.pem')} and ${join(dir, 'key.pem')} for localhost, ${ips.join(', ')}\n` +
      'start with: TLS_CERT=certs/cert.pem TLS_KEY=certs/key.pem npm start\n' +
      '(browsers will warn once about the self-signed certificate; accept it to play)\n',
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`could not create a certificate: ${(err as Error).message}\n`);
  process.exit(1);
});
