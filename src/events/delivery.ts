/**
 * Delivery state of events (schema v2): the events table doubles as the MQTT
 * outbox. An event is undelivered until the broker acknowledged it
 * (delivered_at) or the outbox quota gave up on it (dropped_at). Rowid order
 * is save order, which is the order events go out in.
 */
import type Database from 'better-sqlite3';
import type { EventRow } from './schema.js';

/** Where one event stands on its way to the cloud. */
export interface DeliveryState {
  /** ISO time of the broker's acknowledgement, or null. */
  deliveredAt: string | null;
  /** ISO time the outbox quota dropped it, or null. */
  droppedAt: string | null;
  /** Failed publish attempts so far. */
  attempts: number;
  /** The last failure's message (at most LAST_ERROR_MAX characters), or null. */
  lastError: string | null;
}

export interface DeliveryCounts {
  delivered: number;
  undelivered: number;
  /** Dropped by the quota and never delivered afterwards. */
  dropped: number;
}

/** Longest `last_error` kept: an error message, not a log. */
export const LAST_ERROR_MAX = 500;

const UNDELIVERED = 'delivered_at IS NULL AND dropped_at IS NULL';

interface StateRow {
  delivered_at: string | null;
  dropped_at: string | null;
  attempts: number;
  last_error: string | null;
}

interface CountRow {
  delivered: number;
  undelivered: number;
  dropped: number;
}

export class DeliveryStatements {
  private readonly undeliveredStmt: Database.Statement<[number], EventRow>;
  private readonly countStmt: Database.Statement<[], number>;
  private readonly deliveredStmt: Database.Statement<[string, string]>;
  private readonly failedStmt: Database.Statement<[string, string]>;
  private readonly dropStmt: Database.Statement<[string, string]>;
  private readonly stateStmt: Database.Statement<[string], StateRow>;
  private readonly countsStmt: Database.Statement<[], CountRow>;
  private readonly localStmt: Database.Statement<[string, string, string]>;
  private readonly quotaTx: (maxEvents: number, now: string) => EventRow[];

  constructor(db: Database.Database) {
    // Both orderings are by rowid on the partial index: no sort step.
    this.undeliveredStmt = db.prepare(`SELECT * FROM events WHERE ${UNDELIVERED} ORDER BY rowid LIMIT ?`);
    this.countStmt = db.prepare<[], number>(`SELECT COUNT(*) FROM events WHERE ${UNDELIVERED}`).pluck();
    this.deliveredStmt = db.prepare('UPDATE events SET delivered_at = ? WHERE id = ? AND delivered_at IS NULL');
    this.failedStmt = db.prepare('UPDATE events SET attempts = attempts + 1, last_error = ? WHERE id = ?');
    this.dropStmt = db.prepare('UPDATE events SET dropped_at = ? WHERE id = ?');
    this.localStmt = db.prepare("UPDATE events SET dropped_at = ?, last_error = 'not forwarded: ' || ? WHERE id = ? AND delivered_at IS NULL");
    this.stateStmt = db.prepare('SELECT delivered_at, dropped_at, attempts, last_error FROM events WHERE id = ?');
    this.countsStmt = db.prepare(
      `SELECT COUNT(delivered_at) AS delivered,
              COALESCE(SUM(${UNDELIVERED}), 0) AS undelivered,
              COALESCE(SUM(dropped_at IS NOT NULL AND delivered_at IS NULL), 0) AS dropped
         FROM events`,
    );
    this.quotaTx = db.transaction((maxEvents: number, now: string): EventRow[] => {
      const excess = (this.countStmt.get() ?? 0) - maxEvents;
      if (excess <= 0) return [];
      const rows = this.undeliveredStmt.all(excess);
      for (const row of rows) this.dropStmt.run(now, row.id);
      return rows;
    });
  }

  undelivered(limit: number): EventRow[] {
    return this.undeliveredStmt.all(limit);
  }

  countUndelivered(): number {
    return this.countStmt.get() ?? 0;
  }

  /** True when the row changed (false: unknown id or already delivered). */
  markDelivered(id: string, now: string): boolean {
    return this.deliveredStmt.run(now, id).changes > 0;
  }

  /** Takes an event out of the outbox for good, with the reason; false when unknown or already delivered. */
  keepLocal(id: string, why: string, now: string): boolean {
    return this.localStmt.run(now, why, id).changes === 1;
  }

  markFailed(id: string, error: string): boolean {
    return this.failedStmt.run(error.slice(0, LAST_ERROR_MAX), id).changes > 0;
  }

  /** Drops the oldest undelivered rows beyond `maxEvents`, in one transaction. */
  enforceQuota(maxEvents: number, now: string): EventRow[] {
    return this.quotaTx(maxEvents, now);
  }

  state(id: string): DeliveryState | undefined {
    const r = this.stateStmt.get(id);
    if (!r) return undefined;
    return { deliveredAt: r.delivered_at, droppedAt: r.dropped_at, attempts: r.attempts, lastError: r.last_error };
  }

  counts(): DeliveryCounts {
    const r = this.countsStmt.get() as CountRow;
    return { delivered: r.delivered, undelivered: r.undelivered, dropped: r.dropped };
  }
}
