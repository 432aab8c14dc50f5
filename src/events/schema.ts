/**
 * The events table and its migrations, plus the mapping between a row and an
 * AgentEvent. Kept apart from the store so a schema change is one diff here.
 */
import type Database from 'better-sqlite3';
import type { AgentEvent } from './event.js';

/**
 * MIGRATIONS[n] takes the database from `user_version` n to n + 1. Append
 * only: a shipped migration is never edited, because devices in the field have
 * already run it.
 */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE events (
     id            TEXT PRIMARY KEY,
     camera        TEXT NOT NULL,
     label         TEXT NOT NULL,
     object_label  TEXT NOT NULL,
     score         REAL NOT NULL,
     start_s       REAL NOT NULL,
     end_s         REAL NOT NULL,
     started_at    TEXT NOT NULL,
     ended_at      TEXT NOT NULL,
     box_x1        REAL NOT NULL,
     box_y1        REAL NOT NULL,
     box_x2        REAL NOT NULL,
     box_y2        REAL NOT NULL,
     snapshot      TEXT,
     track_id      INTEGER NOT NULL,
     model_version TEXT NOT NULL,
     explain_json  TEXT,
     created_at    TEXT NOT NULL
   ) STRICT;
   CREATE INDEX events_camera_start ON events (camera, start_s);
   CREATE INDEX events_created_at ON events (created_at);`,
  // v2: delivery state, so the events table is also the MQTT outbox. A row is
  // committed before it is published, hence an event saved just before a
  // crash is still undelivered after the restart. The partial index holds
  // only undelivered rows, all with the key NULL, so it is walked in rowid
  // order: oldest first without a sort, however many delivered rows exist.
  `ALTER TABLE events ADD COLUMN delivered_at TEXT;
   ALTER TABLE events ADD COLUMN dropped_at TEXT;
   ALTER TABLE events ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE events ADD COLUMN last_error TEXT;
   CREATE INDEX events_undelivered ON events (dropped_at) WHERE delivered_at IS NULL AND dropped_at IS NULL;`,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** The file was migrated by a newer agent; running old code on it could corrupt it. */
export class SchemaTooNew extends Error {
  constructor(readonly found: number) {
    super(`schema version ${found} is newer than this agent's ${SCHEMA_VERSION}`);
  }
}

/**
 * Brings the schema up to SCHEMA_VERSION, one transaction per step so a crash
 * mid-migration leaves the previous version intact. Returns the version found.
 */
export function migrate(db: Database.Database): number {
  const found = db.pragma('user_version', { simple: true }) as number;
  if (found > SCHEMA_VERSION) throw new SchemaTooNew(found);
  for (let v = found; v < SCHEMA_VERSION; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v] as string);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
  return found;
}

/** One row of `events`, named as the columns are. */
export interface EventRow {
  id: string;
  camera: string;
  label: string;
  object_label: string;
  score: number;
  start_s: number;
  end_s: number;
  started_at: string;
  ended_at: string;
  box_x1: number;
  box_y1: number;
  box_x2: number;
  box_y2: number;
  snapshot: string | null;
  track_id: number;
  model_version: string;
  explain_json: string | null;
  created_at: string;
  /** v2 delivery columns: absent from inserts (they take their defaults). */
  delivered_at?: string | null;
  dropped_at?: string | null;
  attempts?: number;
  last_error?: string | null;
}

export const INSERT_SQL = `INSERT INTO events (
  id, camera, label, object_label, score, start_s, end_s, started_at, ended_at,
  box_x1, box_y1, box_x2, box_y2, snapshot, track_id, model_version, explain_json, created_at
) VALUES (
  @id, @camera, @label, @object_label, @score, @start_s, @end_s, @started_at, @ended_at,
  @box_x1, @box_y1, @box_x2, @box_y2, @snapshot, @track_id, @model_version, @explain_json, @created_at
)`;

export function eventToRow(e: AgentEvent, createdAt: string): EventRow {
  const [x1, y1, x2, y2] = e.box;
  return {
    id: e.id,
    camera: e.camera,
    label: e.label,
    object_label: e.objectLabel,
    score: e.score,
    start_s: e.startS,
    end_s: e.endS,
    started_at: e.startedAt,
    ended_at: e.endedAt,
    box_x1: x1,
    box_y1: y1,
    box_x2: x2,
    box_y2: y2,
    snapshot: e.snapshot,
    track_id: e.trackId,
    model_version: e.modelVersion,
    explain_json: e.explain === undefined ? null : JSON.stringify(e.explain),
    created_at: createdAt,
  };
}

export function rowToEvent(r: EventRow): AgentEvent {
  const event: AgentEvent = {
    id: r.id,
    camera: r.camera,
    label: r.label,
    objectLabel: r.object_label,
    score: r.score,
    startS: r.start_s,
    endS: r.end_s,
    startedAt: r.started_at,
    endedAt: r.ended_at,
    box: [r.box_x1, r.box_y1, r.box_x2, r.box_y2],
    snapshot: r.snapshot,
    trackId: r.track_id,
    modelVersion: r.model_version,
  };
  // Absent rather than `explain: undefined`, so a stored event equals the saved one.
  if (r.explain_json !== null) event.explain = JSON.parse(r.explain_json) as Record<string, unknown>;
  return event;
}
