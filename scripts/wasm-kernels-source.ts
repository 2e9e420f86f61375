/** Assembles the SIMD training kernels' text source; shared by the build script and its drift test. */
import { readFileSync } from 'node:fs';
import wabtInit from 'wabt';

const SIMD_DIR = new URL('../training/runtime/wasm-kernels/simd/', import.meta.url);
export const WAT_SOURCE_PATH = new URL('training-kernels.wat', SIMD_DIR);
export const EMBEDDED_MODULE_PATH = new URL('training-kernels.wasm.ts', SIMD_DIR);

export async function assembleTrainingKernels(): Promise<Uint8Array> {
  const wabt = await wabtInit();
  const source = readFileSync(WAT_SOURCE_PATH, 'utf8');
  const module = wabt.parseWat('training-kernels.wat', source, { simd: true });
  try {
    module.validate();
    return module.toBinary({}).buffer;
  } finally {
    module.destroy();
  }
}
