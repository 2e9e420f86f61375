// Worker-thread bootstrap for TypeScript entries. Node 20 does not apply
// `--import tsx` from a Worker's execArgv, so the worker starts in this plain
// ESM file and loads its real entry (passed as the last argv) through tsx's API.
import { tsImport } from 'tsx/esm/api';

const entry = process.argv[process.argv.length - 1];
if (!entry?.startsWith('file:')) throw new Error('ts-worker-boot.mjs: expected the entry file URL as the last argv');
await tsImport(entry, import.meta.url);
