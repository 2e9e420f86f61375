/**
 * Paths as the outside world may see them (/healthz, the admin API): relative to the project
 * when inside it, else only the folder's name. An absolute path tells a visitor how the host is
 * laid out (user names, mount points) and helps nobody operate the game.
 */
import { basename, isAbsolute, relative } from 'node:path';

export function publicPath(dir: string, projectRoot: string = process.cwd()): string {
  const rel = relative(projectRoot, dir);
  if (rel === '') return '.';
  if (rel.startsWith('..') || isAbsolute(rel)) return basename(dir);
  return rel;
}
