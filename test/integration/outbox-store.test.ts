/**
 * Delivery state in the event store (schema v2): the events table is the outbox.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { LAST_ERROR_MAX } from '../../src/events/delivery.js';
import { SCHEMA_VERSION } from '../../src/events/schema.js';
import { EventStore } from '../../src/events/store.js';
import { makeEvent, tempStore } from '../support/mosquitto.js';

const root = mkdtempSync(join(tmpdir(), 'outbox-store-'));
after(() => rmSync(root, { recursive: true, force: true }));

let n = 0;
function store(): EventStore {
  return tempStore(root, `case-${++n}`).store;
}

async function saveMany(s: EventStore, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) ids.push((await s.save(makeEvent({ trackId: i }), null)).id);
  return ids;
}

/** The v1 schema exactly as shipped (migrations are append-only, so this never changes). */
const V1 = `CREATE TABLE events (
  id TEXT PRIMARY KEY, camera TEXT NOT NULL, label TEXT NOT NULL, object_label TEXT NOT NULL, score REAL NOT NULL,
  start_s REAL NOT NULL, end_s REAL NOT NULL, started_at TEXT NOT NULL, ended_at TEXT NOT NULL,
  box_x1 REAL NOT NULL, box_y1 REAL NOT NULL, box_x2 REAL NOT NULL, box_y2 REAL NOT NULL, snapshot TEXT,
  track_id INTEGER NOT NULL, model_version TEXT NOT NULL, explain_json TEXT, created_at TEXT NOT NULL
) STRICT;
CREATE INDEX events_camera_start ON events (camera, start_s);
CREATE INDEX events_created_at ON events (created_at);`;

describe('EventStore delivery state', () => {
  test('a v1 database migrates to v2 and its events become undelivered', () => {
    const dir = join(root, 'v1');
    mkdirSync(dir, { recursive: true });
    const dbPath = join(dir, 'events.db');
    const db = new Database(dbPath);
    db.exec(V1);
    db.prepare(
      `INSERT INTO events VALUES ('old-1', 'front', 'person', 'person', 0.9, 1, 2, '2024-05-01T00:00:00.000Z',
       '2024-05-01T00:00:01.000Z', 1, 2, 3, 4, NULL, 7, 'm1', NULL, '2024-05-01T00:00:02.000Z')`,
    ).run();
    db.pragma('user_version = 1');
    db.close();
    const s = new EventStore({ dbPath, snapshotDir: join(dir, 'snaps') });
    s.open();
    assert.equal(SCHEMA_VERSION, 2);
    assert.deepEqual(s.undelivered(10).map((e) => e.id), ['old-1']);
    assert.deepEqual(s.deliveryState('old-1'), { deliveredAt: null, droppedAt: null, attempts: 0, lastError: null });
    assert.equal(s.get('old-1')?.camera, 'front', 'the existing API reads migrated rows');
    s.close();
    const probe = new Database(dbPath, { readonly: true });
    assert.equal(probe.pragma('user_version', { simple: true }), 2);
    probe.close();
  });

  test('undelivered is oldest first, honours the limit, and skips delivered and dropped events', async () => {
    const s = store();
    const ids = await saveMany(s, 6);
    assert.deepEqual(s.undelivered(100).map((e) => e.id), ids);
    assert.deepEqual(s.undelivered(2).map((e) => e.id), ids.slice(0, 2));
    assert.equal(s.markDelivered(ids[1] as string), true);
    assert.equal(s.markDelivered(ids[1] as string), false, 'already delivered');
    assert.equal(s.markDelivered('no-such-id'), false);
    assert.deepEqual(s.undelivered(100).map((e) => e.id), [ids[0], ids[2], ids[3], ids[4], ids[5]]);
    assert.equal(s.countUndelivered(), 5);
    assert.throws(() => s.undelivered(0), RangeError);
    s.close();
  });

  test('markFailed counts attempts and keeps the last error (bounded); the event stays undelivered', async () => {
    const s = store();
    const [id] = await saveMany(s, 1);
    s.markFailed(id as string, 'PUBLISH_FAILED: the connection closed before PUBACK');
    s.markFailed(id as string, `PUBLISH_REJECTED: ${'x'.repeat(2000)}`);
    const state = s.deliveryState(id as string);
    assert.equal(state?.attempts, 2);
    assert.equal(state?.lastError?.length, LAST_ERROR_MAX);
    assert.match(state?.lastError ?? '', /^PUBLISH_REJECTED/);
    assert.equal(s.countUndelivered(), 1);
    s.close();
  });

  test('enforceQuota drops the oldest undelivered beyond the quota and returns them oldest first', async () => {
    let clock = Date.parse('2024-05-01T10:00:00Z');
    const dir = join(root, 'quota');
    const s = new EventStore({ dbPath: join(dir, 'events.db'), snapshotDir: join(dir, 'snaps'), now: () => (clock += 1000) });
    s.open();
    const ids = await saveMany(s, 8);
    s.markDelivered(ids[0] as string); // delivered events do not count against the quota
    assert.deepEqual(s.enforceQuota(10), []);
    const dropped = s.enforceQuota(5);
    assert.deepEqual(dropped.map((e) => e.id), ids.slice(1, 3));
    assert.ok(s.deliveryState(ids[1] as string)?.droppedAt?.startsWith('2024-05-01T10:00:'));
    assert.deepEqual(s.undelivered(100).map((e) => e.id), ids.slice(3));
    assert.deepEqual(s.deliveryCounts(), { delivered: 1, undelivered: 5, dropped: 2 });
    assert.deepEqual(s.enforceQuota(5), [], 'idempotent');
    assert.equal(s.count(), 8, 'rows are kept');
    s.close();
  });

  test('the undelivered scan uses the partial index in rowid order (no sort, no full scan)', async () => {
    const s = store();
    await saveMany(s, 3);
    const probe = new Database(s.dbPath, { readonly: true });
    const plan = (sql: string): string => probe.prepare(`EXPLAIN QUERY PLAN ${sql}`).all().map((r) => (r as { detail: string }).detail).join('; ');
    const where = 'WHERE delivered_at IS NULL AND dropped_at IS NULL';
    assert.match(plan(`SELECT * FROM events ${where} ORDER BY rowid LIMIT 10`), /USING INDEX events_undelivered/);
    assert.doesNotMatch(plan(`SELECT * FROM events ${where} ORDER BY rowid LIMIT 10`), /TEMP B-TREE/);
    assert.match(plan(`SELECT COUNT(*) FROM events ${where}`), /events_undelivered/);
    probe.close();
    s.close();
  });

  test('a saved event is committed: another connection sees it undelivered without close()', async () => {
    const { store: s, dbPath, snapshotDir } = tempStore(root, 'crash');
    const [id] = await saveMany(s, 1);
    // As after kill -9: the first connection never closes (WAL not checkpointed).
    const after = new EventStore({ dbPath, snapshotDir });
    after.open();
    assert.deepEqual(after.undelivered(10).map((e) => e.id), [id]);
    after.close();
    s.close();
  });
});
