/**
 * Watches a served model folder and calls back once changes settle. It watches
 * the folder and its parent: retraining publishes by renaming a new folder over
 * the old one, which a watch on the folder alone would miss. What a change
 * means (reload, refuse) is the ModelHost's business, not the watcher's.
 */
import { type FSWatcher, watch } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Logger } from '../../logging.ts';

export interface FolderWatch {
  stop(): void;
}

/**
 * Calls `onSettled` when `dir` has had no change for `settleMs`. The folder
 * itself is watched again after `onSettled` resolves, since a rename publish
 * replaces the directory the old watch was on.
 */
export function watchModelFolder(
  dir: string,
  onSettled: () => Promise<void>,
  log: Logger,
  settleMs = 1500,
): FolderWatch {
  const name = basename(dir);
  let stopped = false;
  let debounce: NodeJS.Timeout | null = null;
  let parentWatcher: FSWatcher | null = null;
  let folderWatcher: FSWatcher | null = null;

  const trigger = (): void => {
    if (stopped) return;
    if (debounce) clearTimeout(debounce);
    debounce = setTimeout(() => {
      debounce = null;
      onSettled().finally(rewatchFolder);
    }, settleMs);
    debounce.unref?.();
  };

  function rewatchFolder(): void {
    if (stopped) return;
    folderWatcher?.close();
    folderWatcher = null;
    try {
      const w = watch(dir, (_event, file) => {
        if (file === null || /\.(json|bin|onnx)$/.test(String(file))) trigger();
      });
      w.on('error', () => {});
      folderWatcher = w;
    } catch {
      // The folder may be mid-rename; the parent watch will trigger again.
    }
  }

  try {
    parentWatcher = watch(dirname(dir), (_event, file) => {
      if (file === null || String(file).startsWith(name)) trigger();
    });
    parentWatcher.on('error', (err) => log.warn({ err: err.message }, 'model folder watch failed'));
  } catch (err) {
    log.warn({ dir, err: (err as Error).message }, 'cannot watch the model folder; use the admin reload instead');
  }
  rewatchFolder();

  return {
    stop() {
      stopped = true;
      if (debounce) clearTimeout(debounce);
      debounce = null;
      parentWatcher?.close();
      parentWatcher = null;
      folderWatcher?.close();
      folderWatcher = null;
    },
  };
}
