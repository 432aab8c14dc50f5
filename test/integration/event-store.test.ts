import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import sharp from 'sharp';
import { AgentError } from '../../src/core/errors.js';
import type { Box, Frame } from '../../src/core/types.js';
import { newEventId, type AgentEvent } from '../../src/events/event.js';
import { labelColour, renderSnapshot, type Rgb } from '../../src/events/snapshot.js';
import { EventStore } from '../../src/events/store.js';
import { SCHEMA_VERSION } from '../../src/events/schema.js';

const root = mkdtempSync(join(tmpdir(), 'event-store-'));
after(() => rmSync(root, { recursive: true, force: true }));

let dirCount = 0;
/** A fresh store (db + snapshot dir) in its own folder under the temp root. */
function newStore(now?: () => number): { store: EventStore; dbPath: string; snapshotDir: string } {
  const dir = join(root, `case-${++dirCount}`);
  const dbPath = join(dir, 'db', 'events.db');
  const snapshotDir = join(dir, 'snapshots');
  const store = new EventStore(now ? { dbPath, snapshotDir, now } : { dbPath, snapshotDir });
  store.open();
  return { store, dbPath, snapshotDir };
}

const GREY = 128;
function greyFrame(width: number, height: number): Frame {
  return { index: 7, tS: 3.5, width, height, rgb: new Uint8Array(width * height * 3).fill(GREY) };
}

function makeEvent(over: Partial<Omit<AgentEvent, 'snapshot'>> = {}): Omit<AgentEvent, 'snapshot'> {
  return {
    id: newEventId(),
    camera: 'driveway',
    label: 'vehicle',
    objectLabel: 'car',
    score: 0.87,
    startS: 12.5,
    endS: 19.25,
    startedAt: '2024-05-01T23:59:58.500Z',
    endedAt: '2024-05-02T00:00:05.250Z',
    box: [80, 60, 240, 180],
    trackId: 42,
    modelVersion: 'yolov8n-2024.04',
    ...over,
  };
}

async function decode(jpeg: Buffer) {
  return sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
}

function pixel(raw: { data: Buffer; info: { width: number; channels: number } }, x: number, y: number): Rgb {
  const i = (y * raw.info.width + x) * raw.info.channels;
  return [raw.data[i] ?? -1, raw.data[i + 1] ?? -1, raw.data[i + 2] ?? -1];
}

/** JPEG shifts colours a little; 30 levels per channel is far from grey vs colour. */
function assertNear(actual: Rgb, expected: Rgb, where: string): void {
  const ok = actual.every((v, i) => Math.abs(v - (expected[i] as number)) <= 30);
  assert.ok(ok, `${where}: got rgb(${actual.join(',')}), expected about rgb(${expected.join(',')})`);
}

function assertOutline(raw: Awaited<ReturnType<typeof decode>>, box: Box, colour: Rgb): void {
  const [x1, y1, x2, y2] = box;
  const cx = Math.round((x1 + x2) / 2);
  const cy = Math.round((y1 + y2) / 2);
  assertNear(pixel(raw, x1 + 1, cy), colour, 'left edge');
  assertNear(pixel(raw, x2 - 2, cy), colour, 'right edge');
  assertNear(pixel(raw, cx, y1 + 1), colour, 'top edge');
  assertNear(pixel(raw, cx, y2 - 2), colour, 'bottom edge');
  assertNear(pixel(raw, cx, cy), [GREY, GREY, GREY], 'box centre');
  assertNear(pixel(raw, x1 + 6, cy), [GREY, GREY, GREY], 'just inside the 3 px outline');
}

function assertStoreFailed(fn: () => unknown, mentions: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof AgentError, `expected AgentError, got ${String(e)}`);
    assert.equal(e.code, 'STORE_FAILED');
    assert.ok(e.message.includes(mentions), `message should name ${mentions}: ${e.message}`);
    assert.ok(e.hint, 'has a hint');
    return true;
  });
}

describe('renderSnapshot', () => {
  test('draws the box outline in the label colour and leaves the inside alone', async () => {
    const box: Box = [80, 60, 240, 180];
    const jpeg = await renderSnapshot(greyFrame(320, 240), box, { label: 'person', score: 0.91 });
    assert.deepEqual([...jpeg.subarray(0, 2)], [0xff, 0xd8]);
    const meta = await sharp(jpeg).metadata();
    assert.equal(meta.format, 'jpeg');
    assert.equal(meta.width, 320);
    assert.equal(meta.height, 240);
    assertOutline(await decode(jpeg), box, labelColour('person'));
  });

  test('puts a text tag above the box: tag colour plus dark glyph pixels', async () => {
    const box: Box = [80, 60, 240, 180];
    const raw = await decode(await renderSnapshot(greyFrame(320, 240), box, { label: 'person', score: 0.91 }));
    assertNear(pixel(raw, 81, 58), labelColour('person'), 'tag background');
    let dark = 0;
    for (let y = 40; y < 60; y++) for (let x = 80; x < 180; x++) if (pixel(raw, x, y)[1] < 90) dark++;
    assert.ok(dark > 20, `expected rendered text in the tag, found ${dark} dark pixels`);
  });

  test('copies frame.rgb at call start, so the caller may reuse the buffer at once', async () => {
    const frame = greyFrame(160, 120);
    const pending = renderSnapshot(frame, [40, 30, 120, 90], { label: 'car', score: 0.5 });
    frame.rgb.fill(0);
    assertNear(pixel(await decode(await pending), 80, 60), [GREY, GREY, GREY], 'centre after reuse');
  });

  test('scales frames wider than maxWidth down, box included', async () => {
    const jpeg = await renderSnapshot(greyFrame(640, 480), [160, 120, 480, 360], {
      label: 'bus',
      score: 0.7,
      maxWidth: 320,
      quality: 90,
    });
    const raw = await decode(jpeg);
    assert.deepEqual([raw.info.width, raw.info.height], [320, 240]);
    assertOutline(raw, [80, 60, 240, 180], labelColour('vehicle'));
  });
});

describe('EventStore', () => {
  test('save then get round-trips every field and writes the snapshot file', async () => {
    const { store, snapshotDir } = newStore();
    const input = makeEvent({ explain: { minFrames: 5, zone: 'drive', hits: [0.8, 0.9], nested: { ok: true } } });
    const jpeg = await renderSnapshot(greyFrame(320, 240), input.box, { label: input.label, score: input.score });
    const saved = await store.save(input, jpeg);
    // UTC day of startedAt, not of the end or of the save.
    assert.equal(saved.snapshot, join('driveway', '2024-05-01', `${input.id}.jpg`));
    assert.deepEqual(saved, { ...input, snapshot: saved.snapshot });
    assert.deepEqual(store.get(input.id), saved);
    const file = join(snapshotDir, saved.snapshot ?? '');
    assert.equal(store.snapshotPath(saved), file);
    assert.deepEqual(readFileSync(file), jpeg);
    assertOutline(await decode(readFileSync(file)), input.box, labelColour('vehicle'));
    store.close();
  });

  test('an event without snapshot or explain stores null and no explain key', async () => {
    const { store } = newStore();
    const saved = await store.save(makeEvent(), null);
    assert.equal(saved.snapshot, null);
    assert.equal(store.snapshotPath(saved), null);
    assert.equal('explain' in (store.get(saved.id) ?? {}), false);
    assert.equal(store.get('no-such-id'), undefined);
    store.close();
  });

  test('list is newest first, filters by camera and sinceS, respects limit; count counts', async () => {
    let clock = Date.parse('2024-05-01T10:00:00Z');
    const { store } = newStore(() => (clock += 1000));
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      const ev = makeEvent({ camera: i % 2 === 0 ? 'front' : 'back', startS: i * 10 });
      ids.push((await store.save(ev, null)).id);
    }
    assert.equal(store.count(), 6);
    assert.deepEqual(store.list().map((e) => e.id), [...ids].reverse());
    assert.deepEqual(store.list({ camera: 'front' }).map((e) => e.id), [ids[4], ids[2], ids[0]]);
    assert.deepEqual(store.list({ limit: 2 }).map((e) => e.id), [ids[5], ids[4]]);
    assert.deepEqual(store.list({ sinceS: 30 }).map((e) => e.id), [ids[5], ids[4], ids[3]]);
    assert.deepEqual(store.list({ camera: 'back', sinceS: 20, limit: 1 }).map((e) => e.id), [ids[5]]);
    assert.equal(store.list({ limit: 5000 }).length, 6, 'limits above 1000 are capped, not refused');
    assert.throws(() => store.list({ limit: 0 }), RangeError);
    store.close();
  });

  test('events saved in the same millisecond list in insertion order', async () => {
    const { store } = newStore(() => 0);
    const a = await store.save(makeEvent(), null);
    const b = await store.save(makeEvent(), null);
    assert.deepEqual(store.list().map((e) => e.id), [b.id, a.id]);
    store.close();
  });

  test('events survive close and reopen, and the database is in WAL mode', async () => {
    const { store, dbPath, snapshotDir } = newStore();
    const saved = await store.save(makeEvent({ explain: { rule: 'dwell' } }), Buffer.from([0xff, 0xd8, 0xff, 0xd9]));
    store.close();
    store.close();
    const reopened = new EventStore({ dbPath, snapshotDir });
    reopened.open();
    assert.deepEqual(reopened.get(saved.id), saved);
    assert.equal(reopened.count(), 1);
    const probe = new Database(dbPath, { readonly: true });
    assert.equal(probe.pragma('journal_mode', { simple: true }), 'wal');
    assert.equal(probe.pragma('user_version', { simple: true }), SCHEMA_VERSION);
    probe.close();
    reopened.close();
  });

  test('a duplicate id or a camera name that would escape the snapshot dir is refused', async () => {
    const { store, snapshotDir } = newStore();
    const first = await store.save(makeEvent(), null);
    await assert.rejects(store.save(makeEvent({ id: first.id }), null), { code: 'STORE_FAILED' });
    await assert.rejects(store.save(makeEvent({ camera: '..' }), Buffer.from('x')), { code: 'STORE_FAILED' });
    await assert.rejects(store.save(makeEvent({ id: '../../evil' }), Buffer.from('x')), { code: 'STORE_FAILED' });
    await assert.rejects(store.save(makeEvent({ startedAt: 'yesterday' }), null), { code: 'STORE_FAILED' });
    assert.equal(existsSync(join(snapshotDir, '..', 'evil.jpg')), false);
    assert.equal(store.count(), 1);
    store.close();
  });

  test('using the store before open() is a programmer error', () => {
    const store = new EventStore({ dbPath: join(root, 'never', 'x.db'), snapshotDir: join(root, 'never', 's') });
    assert.throws(() => store.count(), /not open/);
    assert.equal(existsSync(join(root, 'never')), false, 'the constructor touches nothing');
  });

  test('a database path whose parent is a file fails with STORE_FAILED naming it', () => {
    const file = join(root, 'plain-file');
    writeFileSync(file, 'not a directory');
    const dbPath = join(file, 'events.db');
    const store = new EventStore({ dbPath, snapshotDir: join(root, 'snaps-ok') });
    assertStoreFailed(() => store.open(), dbPath);
  });

  test('a snapshot dir whose parent is a file fails with STORE_FAILED naming it', () => {
    const file = join(root, 'plain-file-2');
    writeFileSync(file, 'not a directory');
    const snapshotDir = join(file, 'snaps');
    const store = new EventStore({ dbPath: join(root, 'db-ok', 'events.db'), snapshotDir });
    assertStoreFailed(() => store.open(), snapshotDir);
  });

  test('a file that is not a database fails with STORE_FAILED naming it', () => {
    const dbPath = join(root, 'garbage.db');
    writeFileSync(dbPath, Buffer.alloc(8192, 0x5a));
    const store = new EventStore({ dbPath, snapshotDir: join(root, 'snaps-garbage') });
    assertStoreFailed(() => store.open(), dbPath);
    assert.throws(() => store.open(), (e: unknown) => e instanceof AgentError && /not an SQLite/.test(e.hint ?? ''));
    assert.throws(() => store.count(), /not open/, 'a failed open leaves the store closed');
  });
});
