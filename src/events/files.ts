/**
 * Durable file writes for snapshots. A snapshot must be complete on disk
 * before its row is committed: a power cut on an edge box should leave at
 * worst an orphan file, never a row pointing at a missing or torn JPEG.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Writes `data` to `path` atomically: temp file in the same directory, fsync,
 * rename over the target, then fsync the directory so the rename itself
 * survives a crash. Creates missing parent directories.
 */
export async function writeFileAtomic(path: string, data: Uint8Array): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    const file = await open(tmp, 'wx');
    try {
      await file.writeFile(data);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  await syncDir(dir);
}

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Whether `name` is safe as one path segment: camera names and event ids
 * become folder and file names, so '/', '\', NUL, '.' and '..' would let a
 * name escape the snapshot dir.
 */
export function isSafeSegment(name: string): boolean {
  return name.length > 0 && name.length <= 200 && name !== '.' && name !== '..' && !/[/\\\0]/.test(name);
}

/** UTC calendar day `YYYY-MM-DD` of an ISO time; null when it does not parse. */
export function utcDay(iso: string): string | null {
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString().slice(0, 10);
}
