/** node --import tsx server/ml/onnx/export-cli.ts --model <dir> [--out <file>] */
import { existsSync } from 'node:fs';
import { Command } from 'commander';
import { exportOnnx } from './export.ts';

const program = new Command()
  .name('export-onnx')
  .description('Export a TensorFlow.js layers model folder (model.json + weights.bin) to model.onnx')
  .requiredOption('--model <dir>', 'model folder')
  .option('--out <file>', 'output file (default: <dir>/model.onnx)')
  .showHelpAfterError();
program.parse();
const opts = program.opts<{ model: string; out?: string }>();
if (!existsSync(opts.model)) program.error(`error: --model ${opts.model} does not exist`, { exitCode: 2 });

try {
  const r = await exportOnnx(opts.model, opts.out ? { outFile: opts.out } : {});
  console.log(`wrote ${r.file} (${(r.bytes / 1024).toFixed(1)} KiB, ${r.nodes} nodes: ${JSON.stringify(r.ops)})`);
} catch (err) {
  console.error(`export failed: ${(err as Error).message}`);
  process.exit(1);
}
