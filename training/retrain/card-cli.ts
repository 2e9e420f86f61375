/**
 * npm run model-card -- <model folder> [<model folder> …]
 *
 * Re-renders each folder's MODEL_CARD.md from its metrics.json and the model folders
 * beside it. Run it after renaming or promoting a model (say, a distilled run into
 * models/emotion), so every card's comparison table names the folders as they now are.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { rewriteModelCard } from './publish.ts';

const program = new Command('model-card')
  .description("re-render model folders' MODEL_CARD.md from their metrics.json and neighbours")
  .argument('<dirs...>', 'published model folders (each with metrics.json)')
  .showHelpAfterError();

try {
  program.parse();
  const dirs = program.processedArgs[0] as string[];
  const missing = dirs.filter((d) => !existsSync(join(d, 'metrics.json')));
  if (missing.length > 0) throw new Error(`no metrics.json in ${missing.join(', ')}: not a published model folder`);
  for (const d of dirs) {
    await rewriteModelCard(resolve(d));
    console.log(`wrote ${join(d, 'MODEL_CARD.md')}`);
  }
} catch (err) {
  console.error(`model-card: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(2);
}
