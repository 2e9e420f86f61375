/**
 * `npm run model-hashes -- <model folder>...`: (re)writes each folder's SHA256SUMS, which the
 * server checks before serving the model. Publishing a model writes it; run this after an
 * intended change to a published folder (a re-export, an added calibration file).
 */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { HASHES_FILE } from '../../server/ml/model-folder/files.ts';
import { writeModelHashes } from '../../server/ml/model-folder/hashes.ts';

async function main(): Promise<void> {
  const dirs = process.argv.slice(2).filter((a) => a !== '--');
  if (dirs.length === 0) {
    process.stderr.write('usage: npm run model-hashes -- <model folder>...\n');
    process.exit(2);
  }
  for (const d of dirs) {
    const dir = resolve(d);
    if (!existsSync(dir) || !statSync(dir).isDirectory()) {
      process.stderr.write(`model-hashes: ${d} is not a folder\n`);
      process.exit(2);
    }
    const names = await writeModelHashes(dir);
    process.stdout.write(`${d}/${HASHES_FILE}: ${names.join(', ')}\n`);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`model-hashes: ${(err as Error).message}\n`);
  process.exit(1);
});
