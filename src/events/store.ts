/**
 * The event store: confirmed events in SQLite, their snapshots as JPEG files.
 *
 * Database calls are synchronous (better-sqlite3: one short statement per
 * event is cheaper than a thread hop); only snapshot file writes are async.
 */
import { mkdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { AgentError } from '../core/errors.js';
import { DeliveryStatements, type DeliveryCounts, type DeliveryState } from './delivery.js';
import type { AgentEvent } from './event.js';
import { isSafeSegment, utcDay, writeFileAtomic } from './files.js';
import { INSERT_SQL, eventToRow, migrate, rowToEvent, type EventRow } from './schema.js';
import { WalUnsupported, storeError } from './store-errors.js';

export interface EventStoreOptions {
  /** SQLite file; its directory is created on open. */
  dbPath: string;
  /** Root of the snapshot JPEGs: `<snapshotDir>/<camera>/<YYYY-MM-DD>/<id>.jpg`. */
  snapshotDir: string;
  /** Wall clock for `created_at`, ms since the epoch. Default Date.now. */
  now?: () => number;
}

export interface ListQuery {
  camera?: string;
  /** Only events with startS >= sinceS (seconds from the start of the input). */
  sinceS?: number;
  /** Rows to return, 1..1000 (larger values are capped at 1000). Default 100. */
  limit?: number;
}

/** How long a statement waits for another connection's lock before SQLITE_BUSY, in ms. */
const BUSY_TIMEOUT_MS = 5000;
const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;

interface Statements {
  insert: (row: EventRow) => void;
  get: Database.Statement<[string], EventRow>;
  count: Database.Statement<[], number>;
  /** Keyed by `${byCamera}${bySince}` as 0/1, e.g. '10'. */
  list: Map<string, Database.Statement<[Record<string, string | number>], EventRow>>;
  delivery: DeliveryStatements;
}

export class EventStore {
  private readonly opts: EventStoreOptions;
  private db: Database.Database | undefined;
  private stmts: Statements | undefined;

  constructor(opts: EventStoreOptions) {
    this.opts = opts;
  }

  get dbPath(): string {
    return this.opts.dbPath;
  }

  /** Creates the directories, opens the database and brings its schema up to date. */
  open(): void {
    if (this.db) return;
    const { dbPath, snapshotDir } = this.opts;
    makeDir(dirname(dbPath), `the directory of the event database ${dbPath}`);
    makeDir(snapshotDir, `the snapshot directory ${snapshotDir}`);
    let db: Database.Database | undefined;
    try {
      db = new Database(dbPath);
      configure(db);
      migrate(db);
      this.stmts = prepare(db);
      this.db = db;
    } catch (err) {
      db?.close();
      throw storeError(`cannot open the event database ${dbPath}`, err);
    }
  }

  /**
   * Stores an event. The snapshot is written (atomically) before the row is
   * inserted, so a stored row never points at a missing file.
   */
  async save(event: Omit<AgentEvent, 'snapshot'>, snapshotJpeg: Buffer | null): Promise<AgentEvent> {
    const day = checkEvent(event);
    if (this.statements().get.get(event.id)) {
      throw new AgentError('STORE_FAILED', `event ${event.id} is already stored`, {
        hint: 'event ids must be unique; use newEventId()',
      });
    }
    const snapshot = snapshotJpeg ? await this.writeSnapshot(event, day, snapshotJpeg) : null;
    const row = eventToRow({ ...event, snapshot }, this.nowIso());
    try {
      this.statements().insert(row);
    } catch (err) {
      // The file is ours alone (fresh id), so an orphan would only waste disk.
      if (snapshot) await rm(join(this.opts.snapshotDir, snapshot), { force: true });
      throw storeError(`cannot store event ${event.id} in ${this.opts.dbPath}`, err);
    }
    return rowToEvent(row);
  }

  get(id: string): AgentEvent | undefined {
    const row = this.statements().get.get(id);
    return row ? rowToEvent(row) : undefined;
  }

  /** Newest first (by time stored; ties by insertion order). */
  list(query: ListQuery = {}): AgentEvent[] {
    const limit = checkLimit(query.limit ?? DEFAULT_LIMIT);
    const params: Record<string, string | number> = { limit };
    if (query.camera !== undefined) params['camera'] = query.camera;
    if (query.sinceS !== undefined) params['sinceS'] = query.sinceS;
    const key = `${+(query.camera !== undefined)}${+(query.sinceS !== undefined)}`;
    const stmt = this.statements().list.get(key) as Database.Statement<[Record<string, string | number>], EventRow>;
    return stmt.all(params).map(rowToEvent);
  }

  count(): number {
    return this.statements().count.get() ?? 0;
  }

  /**
   * Events not yet delivered nor dropped, oldest first (save order), at most
   * `limit` (an integer >= 1; not capped, the outbox asks for what it can send).
   */
  undelivered(limit: number): AgentEvent[] {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`undelivered limit must be an integer >= 1, got ${limit}`);
    return this.statements().delivery.undelivered(limit).map(rowToEvent);
  }

  /** Records the broker's acknowledgement. False when the id is unknown or already delivered. */
  markDelivered(id: string): boolean {
    return this.write(`mark event ${id} delivered`, (d) => d.markDelivered(id, this.nowIso()));
  }

  /**
   * Keeps an event on this gateway: the outbox never forwards it (e.g. events
   * of `analyze` runs on test footage, which must not reach the cloud when the
   * daemon later shares the database). Counted as dropped, with the reason.
   */
  keepLocal(id: string, why: string): boolean {
    return this.write(`keep event ${id} local`, (d) => d.keepLocal(id, why, this.nowIso()));
  }

  /** Counts a failed attempt and keeps its message; the event stays undelivered. */
  markFailed(id: string, error: string): boolean {
    return this.write(`mark event ${id} failed`, (d) => d.markFailed(id, error));
  }

  /**
   * Marks the oldest undelivered events beyond `maxEvents` as dropped and
   * returns them, oldest first, so the caller can count and log them. Their
   * rows and snapshots stay (retention is a separate concern).
   */
  enforceQuota(maxEvents: number): AgentEvent[] {
    if (!Number.isInteger(maxEvents) || maxEvents < 0) throw new RangeError(`maxEvents must be an integer >= 0, got ${maxEvents}`);
    const rows = this.write('enforce the outbox quota', (d) => d.enforceQuota(maxEvents, this.nowIso()));
    return rows.map(rowToEvent);
  }

  countUndelivered(): number {
    return this.statements().delivery.countUndelivered();
  }

  deliveryCounts(): DeliveryCounts {
    return this.statements().delivery.counts();
  }

  /** Delivery columns of one event, or undefined for an unknown id. */
  deliveryState(id: string): DeliveryState | undefined {
    return this.statements().delivery.state(id);
  }

  /** Absolute path of an event's snapshot, or null when it has none. */
  snapshotPath(event: Pick<AgentEvent, 'snapshot'>): string | null {
    return event.snapshot === null ? null : join(this.opts.snapshotDir, event.snapshot);
  }

  /** Closes the database (checkpointing the WAL). Safe to call twice. */
  close(): void {
    this.db?.close();
    this.db = undefined;
    this.stmts = undefined;
  }

  private async writeSnapshot(event: Omit<AgentEvent, 'snapshot'>, day: string, jpeg: Buffer): Promise<string> {
    const rel = join(event.camera, day, `${event.id}.jpg`);
    try {
      await writeFileAtomic(join(this.opts.snapshotDir, rel), jpeg);
    } catch (err) {
      throw storeError(`cannot write the snapshot of event ${event.id} under ${this.opts.snapshotDir}`, err);
    }
    return rel;
  }

  private nowIso(): string {
    return new Date((this.opts.now ?? Date.now)()).toISOString();
  }

  /** Runs a write, turning an SQLite failure (disk full, I/O error) into STORE_FAILED. */
  private write<T>(what: string, fn: (delivery: DeliveryStatements) => T): T {
    // Outside the try: using a closed store is a programmer error, not STORE_FAILED.
    const delivery = this.statements().delivery;
    try {
      return fn(delivery);
    } catch (err) {
      throw storeError(`cannot ${what} in ${this.opts.dbPath}`, err);
    }
  }

  private statements(): Statements {
    if (!this.stmts) throw new Error('EventStore is not open: call open() first');
    return this.stmts;
  }
}

function makeDir(dir: string, what: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw storeError(`cannot create ${what}`, err);
  }
}

function configure(db: Database.Database): void {
  // WAL lets the HTTP API read while the pipeline writes; NORMAL is durable
  // across process crashes and costs no fsync per commit (only checkpoints).
  const mode = db.pragma('journal_mode = WAL', { simple: true });
  if (mode !== 'wal') throw new WalUnsupported(String(mode));
  db.pragma('synchronous = NORMAL');
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
}

function prepare(db: Database.Database): Statements {
  const insert = db.prepare<[EventRow]>(INSERT_SQL);
  const list = new Map<string, Database.Statement<[Record<string, string | number>], EventRow>>();
  for (const byCamera of [0, 1]) {
    for (const bySince of [0, 1]) {
      const sql = listSql(byCamera === 1, bySince === 1);
      list.set(`${byCamera}${bySince}`, db.prepare<[Record<string, string | number>], EventRow>(sql));
    }
  }
  return {
    insert: db.transaction((row: EventRow) => void insert.run(row)),
    get: db.prepare<[string], EventRow>('SELECT * FROM events WHERE id = ?'),
    count: db.prepare<[], number>('SELECT COUNT(*) FROM events').pluck(),
    list,
    delivery: new DeliveryStatements(db),
  };
}

/** One statement per filter combination: `(@x IS NULL OR ...)` would stop SQLite using the indexes. */
function listSql(byCamera: boolean, bySince: boolean): string {
  const where = [byCamera ? 'camera = @camera' : '', bySince ? 'start_s >= @sinceS' : ''].filter((w) => w);
  const whereSql = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
  return `SELECT * FROM events ${whereSql} ORDER BY created_at DESC, rowid DESC LIMIT @limit`;
}

/** Checks what becomes a path; returns the UTC day folder of the event. */
function checkEvent(event: Omit<AgentEvent, 'snapshot'>): string {
  for (const [field, value] of [['camera', event.camera], ['id', event.id]] as const) {
    if (!isSafeSegment(value)) {
      throw new AgentError('STORE_FAILED', `event ${field} ${JSON.stringify(value)} cannot be stored`, {
        hint: `the ${field} becomes a folder or file name: no '/', '\\', NUL, '.' or '..'`,
      });
    }
  }
  const day = utcDay(event.startedAt);
  if (day === null) {
    throw new AgentError('STORE_FAILED', `event ${event.id} has startedAt ${JSON.stringify(event.startedAt)}`, {
      hint: 'startedAt must be an ISO 8601 time, e.g. new Date().toISOString()',
    });
  }
  return day;
}

function checkLimit(limit: number): number {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`list limit must be an integer >= 1, got ${limit}`);
  return Math.min(limit, MAX_LIMIT);
}
