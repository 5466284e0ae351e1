import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project root: the nearest folder above this file that holds package.json.
 *  Works from the sources (vitest) and from the compiled server in dist/. */
function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error(`package.json not found above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
}

export const projectRoot = findRoot();
export const buildDir = join(projectRoot, 'build');
export const migrationsDir = join(projectRoot, 'server', 'src', 'db', 'migrations');

export function resolveDataDir(dataDir: string): string {
  return resolve(process.cwd(), dataDir);
}
