import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultConfig } from '../../src/config/load.js';
import type { Box, Detection } from '../../src/core/types.js';
import { Tracker } from '../../src/tracker/tracker.js';

const cfg = defaultConfig();
const opts = { ...cfg.tracker, lightChangeSuspectS: 2 };
const person = (box: Box, score = 0.6): Detection => ({ box, score, label: 'person' });

test('one object moving across frames keeps one id', () => {
  const tr = new Tracker(opts);
  for (let i = 0; i < 20; i++) tr.update([person([100 + i * 15, 200, 160 + i * 15, 350])], i * 0.2, i);
  assert.equal(tr.active().length, 1);
  assert.equal(tr.active()[0]!.id, 1);
  assert.equal(tr.active()[0]!.hits, 20);
});

test('two people crossing paths keep their own ids', () => {
  const tr = new Tracker(opts);
  const ids = new Map<string, number>();
  for (let i = 0; i < 16; i++) {
    const a = person([100 + i * 30, 200, 160 + i * 30, 350]);
    const b = person([700 - i * 30, 220, 760 - i * 30, 370]);
    const { active } = tr.update([a, b], i * 0.2, i);
    for (const t of active) {
      const side = t.velocity[0] > 0 ? 'right' : 'left';
      if (i > 2) {
        if (!ids.has(side)) ids.set(side, t.id);
        assert.equal(ids.get(side), t.id, `track moving ${side} changed id at frame ${i}`);
      }
    }
  }
  assert.equal(tr.active().length, 2);
});

test('a short occlusion gap is bridged using the predicted position', () => {
  const tr = new Tracker(opts);
  let i = 0;
  for (; i < 8; i++) tr.update([person([100 + i * 20, 200, 160 + i * 20, 350])], i * 0.2, i);
  for (let k = 0; k < 5; k++, i++) tr.update([], i * 0.2, i); // 1 s behind a pillar
  const { active, ended } = tr.update([person([100 + i * 20, 200, 160 + i * 20, 350])], i * 0.2, i);
  assert.equal(ended.length, 0);
  assert.equal(active.length, 1);
  assert.equal(active[0]!.id, 1);
});

test('a track unseen for longer than maxGapS ends', () => {
  const tr = new Tracker(opts);
  for (let i = 0; i < 5; i++) tr.update([person([100, 200, 160, 350])], i * 0.2, i);
  let ended: readonly unknown[] = [];
  for (let i = 5; i < 30 && ended.length === 0; i++) ended = tr.update([], i * 0.2, i).ended;
  assert.equal(ended.length, 1);
  assert.equal(tr.active().length, 0);
});

test('a single detection that is never seen again is dropped quickly', () => {
  const tr = new Tracker(opts);
  tr.update([person([100, 200, 160, 350])], 0, 0);
  const r = [1, 2, 3, 4].map((i) => tr.update([], i * 0.2, i));
  assert.ok(r.some((u) => u.ended.length === 1), 'tentative track should end within 0.8 s');
});

test('an object that does not move becomes stationary, a moving one does not', () => {
  const tr = new Tracker({ ...opts, stationaryAfterS: 3 });
  for (let i = 0; i < 25; i++) {
    const jitter = (i % 3) - 1;
    tr.update([person([500 + jitter, 300, 620 + jitter, 380]), person([50 + i * 20, 500, 110 + i * 20, 650])], i * 0.2, i);
  }
  const [still, moving] = [...tr.active()].sort((a, b) => a.velocity[0] - b.velocity[0]);
  assert.equal(still!.stationary, true);
  assert.equal(moving!.stationary, false);
});

test('a stationary object lost and found again at the same place is flagged as such', () => {
  const tr = new Tracker({ ...opts, stationaryAfterS: 2, maxGapS: 1 });
  let i = 0;
  for (; i < 15; i++) tr.update([person([500, 300, 620, 380])], i * 0.2, i);
  for (let k = 0; k < 8; k++, i++) tr.update([], i * 0.2, i); // lost (headlights, dusk)
  assert.equal(tr.active().length, 0);
  const { active } = tr.update([person([502, 301, 621, 381])], i * 0.2, i);
  assert.equal(active[0]!.inheritedStationary, true);
});

test('tracks born within the suspect window after a light change are marked', () => {
  const tr = new Tracker(opts);
  tr.noteLightChange(10);
  tr.update([person([100, 200, 160, 350])], 11, 0);
  tr.update([person([100, 200, 160, 350]), person([600, 200, 660, 350])], 13, 1);
  const [first, second] = tr.active();
  assert.equal(first!.bornInLightChange, true);
  assert.equal(second!.bornInLightChange, false);
});
