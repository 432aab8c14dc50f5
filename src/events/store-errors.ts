/**
 * Store failures as AgentError STORE_FAILED, each with a hint the operator
 * can act on: the message names the path, the hint says what to change.
 */
import { AgentError } from '../core/errors.js';
import { SchemaTooNew } from './schema.js';

/** SQLite silently keeps the old journal mode where WAL cannot work (no shared memory). */
export class WalUnsupported extends Error {
  constructor(mode: string) {
    super(`the file system kept journal_mode '${mode}' instead of 'wal'`);
  }
}

export function storeError(message: string, cause: unknown): AgentError {
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new AgentError('STORE_FAILED', `${message}: ${detail}`, { hint: hintFor(cause), cause });
}

const HINTS: Record<string, string> = {
  SQLITE_NOTADB: 'the file is not an SQLite database; move it away or configure another database path',
  SQLITE_CORRUPT: 'the database is damaged; move it away (keep it for recovery) and restart to begin a new one',
  SQLITE_CANTOPEN: "check that the directory exists and the agent's user can write it",
  SQLITE_READONLY: "the database or its directory is read-only; check permissions and mount options",
  SQLITE_FULL: 'the disk is full; free space or shorten the event retention',
  SQLITE_IOERR: 'the disk reported an I/O error; check it (dmesg) and its free space',
  SQLITE_BUSY: 'another process holds the database locked; is a second agent running on it?',
  ENOSPC: 'the disk is full; free space or shorten the event retention',
  ENOTDIR: 'a component of the path is a file, not a directory; fix the path in the config',
  EEXIST: 'a component of the path is a file, not a directory; fix the path in the config',
  EACCES: "the agent's user cannot write there; fix the permissions or choose another path",
  EPERM: "the agent's user cannot write there; fix the permissions or choose another path",
  EROFS: 'the file system is read-only; choose a path on a writable disk',
};

const DEFAULT_HINT = 'check the path, its permissions and free disk space';

function hintFor(cause: unknown): string {
  if (cause instanceof WalUnsupported) return 'put the database on a local disk (network and FUSE mounts lack WAL support)';
  if (cause instanceof SchemaTooNew) return 'the database was written by a newer agent; upgrade the agent or use another path';
  const code = (cause as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return DEFAULT_HINT;
  // Extended SQLite codes (SQLITE_IOERR_FSYNC) fall back to their primary code.
  return HINTS[code] ?? HINTS[/^SQLITE_[A-Z]+/.exec(code)?.[0] ?? ''] ?? DEFAULT_HINT;
}
