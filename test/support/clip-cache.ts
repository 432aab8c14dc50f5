/**
 * When a cached clip or plate may be reused. Not by modification time: tsc
 * rewrites every output on each build, and other builds run in the same tree,
 * so dist/ files look new every few minutes (seen here: clips regenerated twice
 * within one test run). A cached file is reused when its `.stamp` sidecar holds
 * the current generator stamp: a hash of the generator modules' text and of the
 * footage files' sizes and modification times.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The generator modules: clips.* and clip-*.* next to this file (compiled or not, never maps). */
const GENERATOR_FILE = /^clip(s|-[\w-]+)\.(js|ts)$/;

export async function generatorStamp(moduleDir: string, footage: string[]): Promise<string> {
  const hash = createHash('sha256');
  const modules = (await readdir(moduleDir)).filter((f) => GENERATOR_FILE.test(f)).sort();
  for (const f of modules) hash.update(`${f}\0`).update(await readFile(join(moduleDir, f))).update('\0');
  for (const path of footage) {
    const s = await stat(path);
    hash.update(`${path}\0${s.size}\0${s.mtimeMs}\0`);
  }
  return hash.digest('hex').slice(0, 16);
}

/** True when `path` exists and was made by the generator with this stamp. */
export async function isCurrent(path: string, stamp: string): Promise<boolean> {
  const [made, recorded] = await Promise.all([
    stat(path).catch(() => undefined),
    readFile(`${path}.stamp`, 'utf8').catch(() => undefined),
  ]);
  return made !== undefined && recorded?.trim() === stamp;
}

/**
 * Records that `path` (already renamed into place) was made with `stamp`. Written
 * after the file itself: a crash in between leaves the old stamp, so it is remade.
 */
export async function markCurrent(path: string, stamp: string): Promise<void> {
  const tmp = `${path}.stamp.${process.pid}.tmp`;
  await writeFile(tmp, `${stamp}\n`);
  await rename(tmp, `${path}.stamp`);
}
