import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultConfig, parseConfig } from '../../src/config/load.js';
import { ConfirmationPolicy } from '../../src/confirm/policy.js';
import type { Box } from '../../src/core/types.js';
import { Tracker } from '../../src/tracker/tracker.js';
import type { Track } from '../../src/tracker/track.js';

const W = 1280;
const H = 720;
const FPS = 5;
const config = defaultConfig();
const noZones = { zones: [], requiredZones: [] };

interface Step {
  box: Box | null;
  score?: number;
  label?: string;
}

/** Runs steps through a real tracker at 5 fps and returns the (single) track. */
function trackOf(steps: Step[], opts: { lightChangeAtS?: number } = {}): Track {
  const tracker = new Tracker({ ...config.tracker, lightChangeSuspectS: config.confirm.lightChangeSuspectS });
  if (opts.lightChangeAtS !== undefined) tracker.noteLightChange(opts.lightChangeAtS);
  steps.forEach((s, i) => {
    const dets = s.box ? [{ box: s.box, score: s.score ?? 0.6, label: s.label ?? 'person' }] : [];
    tracker.update(dets, 1 + i / FPS, i);
  });
  const [t] = tracker.active();
  assert.ok(t, 'the steps should make one live track');
  assert.equal(tracker.active().length, 1, 'one track expected');
  return t;
}

/** A person 60x150 walking right at 100 px/s. */
function walk(n: number, extra: Partial<Step> = {}): Step[] {
  return Array.from({ length: n }, (_, i) => ({ box: [200 + i * 20, 300, 260 + i * 20, 450] as Box, ...extra }));
}

function judge(t: Track, cfg = config, camera: { zones: { name: string; polygon: [number, number][] }[]; requiredZones: string[] } = noZones) {
  return new ConfirmationPolicy(cfg.confirm, camera, W * H).evaluate(t, t.lastHitS, []);
}

test('a walking person with steady scores is confirmed as person', () => {
  const v = judge(trackOf(walk(8)));
  assert.equal(v.status, 'confirmed', v.reason);
  assert.equal(v.category, 'person');
});

test('too few hits keeps the track pending on min-hits', () => {
  const v = judge(trackOf(walk(2)));
  assert.equal(v.rule, 'min-hits');
  assert.equal(v.status, 'pending');
});

test('misses count as zero in the score median', () => {
  const steps: Step[] = walk(10).map((s, i) => (i % 3 === 0 ? s : { box: null }));
  steps.push(...walk(12).slice(10));
  const v = judge(trackOf(steps));
  assert.equal(v.rule, 'score', v.reason);
  assert.ok(v.values.medianScore < config.confirm.medianScore);
});

test('low scores keep a track pending on score', () => {
  const v = judge(trackOf(walk(8, { score: 0.38 })));
  assert.equal(v.rule, 'score');
});

test('a track that never moves is not confirmed (parked car, statue)', () => {
  const still = Array.from({ length: 10 }, () => ({ box: [500, 300, 560, 450] as Box }));
  const v = judge(trackOf(still));
  assert.equal(v.rule, 'moved');
});

test('mostly-animal labels reject the track even when some hits say person', () => {
  const steps = walk(10).map((s, i) => ({ ...s, label: i % 2 === 0 ? 'cat' : 'person' }));
  const v = judge(trackOf(steps));
  assert.equal(v.status, 'rejected');
  assert.equal(v.rule, 'animal');
});

test('a few animal labels below the share do not veto a person', () => {
  const steps = walk(10).map((s, i) => ({ ...s, label: i === 4 ? 'dog' : 'person' }));
  assert.equal(judge(trackOf(steps)).status, 'confirmed');
});

test('labels outside the categories of interest stay pending on label', () => {
  const v = judge(trackOf(walk(8, { label: 'kite' })));
  assert.equal(v.rule, 'label');
});

test('vehicle labels map to the vehicle category', () => {
  const car = Array.from({ length: 8 }, (_, i) => ({ box: [100 + i * 40, 400, 400 + i * 40, 560] as Box, label: i % 2 ? 'car' : 'truck' }));
  const v = judge(trackOf(car));
  assert.equal(v.status, 'confirmed', v.reason);
  assert.equal(v.category, 'vehicle');
});

test('a large, size-jumping, erratic blob is rejected as a lens-proximity object', () => {
  const centres = [[400, 300], [520, 240], [430, 330], [560, 260], [450, 350], [580, 250], [470, 340], [600, 270]];
  const steps = centres.map(([x, y], i) => {
    const r = i % 2 ? 150 : 100; // size jumps ±40 % between frames
    return { box: [x! - r, y! - r * 1.4, x! + r, y! + r * 1.4] as Box };
  });
  const v = judge(trackOf(steps));
  assert.equal(v.status, 'rejected', v.reason);
  assert.equal(v.rule, 'lens');
});

test('the same blob pattern on a small box is not judged by the lens rule', () => {
  const centres = [[400, 300], [410, 296], [403, 304], [414, 298], [406, 305], [418, 300], [409, 306], [422, 302]];
  const steps = centres.map(([x, y], i) => {
    const r = i % 2 ? 12 : 9;
    return { box: [x! - r, y! - r * 2, x! + r, y! + r * 2] as Box };
  });
  assert.notEqual(judge(trackOf(steps)).rule, 'lens');
});

test('area and aspect filters per category hold a track pending on shape', () => {
  const wide = Array.from({ length: 8 }, (_, i) => ({ box: [100 + i * 20, 300, 400 + i * 20, 360] as Box }));
  const v = judge(trackOf(wide));
  assert.equal(v.rule, 'shape');
  assert.match(v.reason, /aspect/);
});

test('required zones: outside pending on zone, inside confirmed', () => {
  const camera = { zones: [{ name: 'yard', polygon: [[0, 500], [W, 500], [W, H], [0, H]] as [number, number][] }], requiredZones: ['yard'] };
  const cfg = parseConfig({ cameras: [{ name: 'c', zones: camera.zones, requiredZones: ['yard'] }] }, 'test');
  assert.equal(judge(trackOf(walk(8)), cfg, camera).rule, 'zone');
  const inYard = walk(8).map((s) => ({ box: [s.box![0], 400, s.box![2], 560] as Box }));
  const v = judge(trackOf(inYard), cfg, camera);
  assert.equal(v.status, 'confirmed', v.reason);
  assert.deepEqual(v.values.zones, ['yard']);
});

test('a track born right after a light change needs twice the hits', () => {
  const t = trackOf(walk(5), { lightChangeAtS: 0.9 });
  assert.equal(t.bornInLightChange, true);
  assert.equal(judge(t).rule, 'min-hits');
  const normal = trackOf(walk(6));
  assert.equal(judge(normal).status, 'confirmed');
});

test('cooldown: a new track of the same category where an event just ended is rejected', () => {
  const t = trackOf(walk(8));
  const policy = new ConfirmationPolicy(config.confirm, noZones, W * H);
  const recent = [{ category: 'person', box: t.box, endS: t.lastHitS - 5 }];
  const v = policy.evaluate(t, t.lastHitS, recent);
  assert.equal(v.rule, 'cooldown');
  const other = [{ category: 'vehicle', box: t.box, endS: t.lastHitS - 5 }];
  assert.equal(policy.evaluate(t, t.lastHitS, other).status, 'confirmed');
  const long = [{ category: 'person', box: t.box, endS: t.lastHitS - config.confirm.cooldownS - 1 }];
  assert.equal(policy.evaluate(t, t.lastHitS, long).status, 'confirmed');
});
