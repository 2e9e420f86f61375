/**
 * node --import tsx training/onnx/export-cli.ts --model <dir> [--out <file>]
 *   [--int8 [--data <csv|csv.gz>] [--calib-n 1000] [--max-drop 0.5]]
 *
 * Writes model.onnx (fp32). With --int8 also builds model.int8.onnx (calibrated
 * on Training rows) and keeps it only if PublicTest accuracy drops by less than
 * --max-drop points; the server then serves it automatically.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { resolveDataPath } from '../data/dataset.ts';
import { readFer2013 } from '../data/fer2013-reader.ts';
import { exportOnnx } from './export.ts';
import { exportInt8WithGate } from './int8.ts';

const positiveInt = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
};
const nonNegative = (v: string): number => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('must be a non-negative number');
  return n;
};

const program: Command = new Command()
  .name('export-onnx')
  .description('Export a TensorFlow.js layers model folder (model.json + weights.bin) to model.onnx')
  .requiredOption('--model <dir>', 'model folder')
  .option('--out <file>', 'output file (default: <dir>/model.onnx)')
  .option('--int8', 'also build model.int8.onnx, kept only if it passes the PublicTest accuracy gate')
  .option(
    '--data <file>',
    'FER2013 csv/csv.gz for --int8 calibration and the gate (default: $FER2013_CSV or the workspace copy)',
  )
  .option('--calib-n <n>', 'Training images used to calibrate activation ranges', positiveInt, 1000)
  .option('--max-drop <points>', 'largest PublicTest accuracy drop (percentage points) int8 may cost', nonNegative, 0.5)
  .showHelpAfterError();
program.parse();
const opts = program.opts<{
  model: string;
  out?: string;
  int8?: boolean;
  data?: string;
  calibN: number;
  maxDrop: number;
}>();
if (!existsSync(opts.model)) program.error(`error: --model ${opts.model} does not exist`, { exitCode: 2 });
if (opts.int8 && opts.out)
  program.error('error: --out cannot be combined with --int8 (the gate compares files in the folder)', { exitCode: 2 });
const data = opts.int8 ? resolveDataPath(opts.data) : null;
if (opts.int8 && (!data || !existsSync(data))) {
  program.error(`error: --int8 needs FER2013 data: ${data ?? 'no --data, FER2013_CSV unset, default file missing'}`, {
    exitCode: 2,
  });
}

try {
  const r = await exportOnnx(opts.model, opts.out ? { outFile: opts.out } : {});
  console.log(`wrote ${r.file} (${(r.bytes / 1024).toFixed(1)} KiB, ${r.nodes} nodes: ${JSON.stringify(r.ops)})`);
  if (opts.int8 && data) {
    const g = await exportInt8WithGate(opts.model, await readFer2013(data), {
      calibrationImages: opts.calibN,
      maxDropPoints: opts.maxDrop,
    });
    const line = `PublicTest (${g.n} images${g.tta ? ', flip TTA' : ''}): fp32 ${(100 * g.fp32Accuracy).toFixed(2)}%, int8 ${(100 * g.int8Accuracy).toFixed(2)}% (drop ${g.dropPoints.toFixed(2)} points, limit ${g.maxDropPoints})`;
    console.log(g.kept ? `kept ${join(opts.model, g.file ?? '')}: ${line}` : `int8 rejected, serving fp32: ${line}`);
  }
} catch (err) {
  console.error(`export failed: ${(err as Error).message}`);
  process.exit(1);
}
