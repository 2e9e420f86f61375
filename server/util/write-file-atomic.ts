/**
 * Writes a file so that readers see either the old content or the new, never
 * half of it: the data goes to a temp file beside the target (same filesystem,
 * so rename is atomic) and is renamed over it. A failed write leaves no temp file.
 */
import { randomBytes } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export async function writeFileAtomic(file: string, data: Uint8Array | string): Promise<void> {
  // A dotfile, so folder listings that skip dotfiles (the model hashes) never see it.
  const tmp = join(dirname(file), `.${basename(file)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    await writeFile(tmp, data);
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
