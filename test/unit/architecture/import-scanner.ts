/**
 * Finds what a TypeScript/JavaScript source file imports, without a compiler:
 * static imports and re-exports (type-only too), side-effect and dynamic
 * imports with a literal specifier, and worker entry points
 * (`new URL('./worker.ts', import.meta.url)`), which load code just as an
 * import does. Comments are skipped; strings are kept, since specifiers live in them.
 */
import path from 'node:path';

export interface ImportRef {
  specifier: string;
  line: number;
}

/** The source with every comment replaced by spaces (newlines kept, so line numbers hold). */
export function stripComments(source: string): string {
  let out = '';
  let i = 0;
  let quote: string | null = null;
  while (i < source.length) {
    const c = source[i] as string;
    const next = source[i + 1];
    if (quote) {
      out += c;
      if (c === '\\') {
        out += next ?? '';
        i += 2;
        continue;
      }
      if (c === quote) quote = null;
      i++;
    } else if (c === '/' && next === '/') {
      while (i < source.length && source[i] !== '\n') {
        out += ' ';
        i++;
      }
    } else if (c === '/' && next === '*') {
      const end = source.indexOf('*/', i + 2);
      const stop = end === -1 ? source.length : end + 2;
      out += source.slice(i, stop).replace(/[^\n]/g, ' ');
      i = stop;
    } else {
      if (c === "'" || c === '"' || c === '`') quote = c;
      out += c;
      i++;
    }
  }
  return out;
}

const PATTERNS = [
  // import x from '…', import { a } from '…', import type …, export { a } from '…', export * from '…'
  /\b(?:import|export)\s+(?:type\s+)?(?:[\w$*{}\s,]+?\s+from\s*)?['"]([^'"]+)['"]/g,
  // import('…')
  /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  // new URL('./worker.ts', import.meta.url): a worker or module loaded by path
  /\bnew\s+URL\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*,\s*import\.meta\.url\s*\)/g,
];

export function importsOf(source: string): ImportRef[] {
  const code = stripComments(source);
  const refs: ImportRef[] = [];
  for (const pattern of PATTERNS) {
    for (const m of code.matchAll(pattern)) {
      const line = code.slice(0, m.index).split('\n').length;
      refs.push({ specifier: m[1] as string, line });
    }
  }
  return refs.sort((a, b) => a.line - b.line);
}

/**
 * What a specifier names, seen from `fromFile` (a repository-relative path with
 * '/' separators): a repository path for relative specifiers, else the package
 * or built-in module as written ('zod', 'node:http', '@tensorflow/tfjs').
 */
export function importTarget(fromFile: string, specifier: string): { kind: 'file' | 'package'; name: string } {
  if (specifier.startsWith('./') || specifier.startsWith('../')) {
    return { kind: 'file', name: path.posix.normalize(path.posix.join(path.posix.dirname(fromFile), specifier)) };
  }
  return { kind: 'package', name: specifier };
}

export interface BoundaryRule {
  /** Says what the rule protects, in the failure message. */
  name: string;
  appliesTo(file: string): boolean;
  forbids(target: { kind: 'file' | 'package'; name: string }): boolean;
}

export interface Violation {
  rule: string;
  file: string;
  line: number;
  specifier: string;
}

/** Every import in `files` (path → source) that one of `rules` forbids. */
export function findViolations(files: ReadonlyMap<string, string>, rules: readonly BoundaryRule[]): Violation[] {
  const out: Violation[] = [];
  for (const [file, source] of files) {
    const applicable = rules.filter((r) => r.appliesTo(file));
    if (applicable.length === 0) continue;
    for (const ref of importsOf(source)) {
      const target = importTarget(file, ref.specifier);
      for (const rule of applicable) {
        if (rule.forbids(target)) out.push({ rule: rule.name, file, line: ref.line, specifier: ref.specifier });
      }
    }
  }
  return out;
}

/** The repository files reachable from `entry` through relative imports (entry included). */
export function reachableFiles(files: ReadonlyMap<string, string>, entry: string): Set<string> {
  const seen = new Set<string>();
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.pop() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    const source = files.get(file);
    if (source === undefined) continue;
    for (const ref of importsOf(source)) {
      const target = importTarget(file, ref.specifier);
      if (target.kind === 'file') queue.push(target.name);
    }
  }
  return seen;
}

/**
 * Import circles among `files` (through relative imports, type-only ones included: a circle of
 * types still ties the modules' designs together). Each circle is reported once, as the path
 * from its first file found back to that file.
 */
export function findImportCycles(files: ReadonlyMap<string, string>): string[][] {
  const edges = new Map<string, string[]>();
  for (const [file, source] of files) {
    const targets = importsOf(source)
      .map((ref) => importTarget(file, ref.specifier))
      .filter((t) => t.kind === 'file' && files.has(t.name))
      .map((t) => t.name);
    edges.set(file, targets);
  }
  const state = new Map<string, 'open' | 'done'>();
  const cycles: string[][] = [];
  const seen = new Set<string>();
  const stack: string[] = [];
  const visit = (file: string): void => {
    state.set(file, 'open');
    stack.push(file);
    for (const next of edges.get(file) ?? []) {
      const s = state.get(next);
      if (s === 'open') {
        const cycle = [...stack.slice(stack.indexOf(next)), next];
        const key = [...cycle.slice(0, -1)].sort().join('|');
        if (!seen.has(key)) {
          seen.add(key);
          cycles.push(cycle);
        }
      } else if (s === undefined) visit(next);
    }
    stack.pop();
    state.set(file, 'done');
  };
  for (const file of [...files.keys()].sort()) if (!state.has(file)) visit(file);
  return cycles;
}
