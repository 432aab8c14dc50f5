/**
 * Where the detector looks (square crops at model resolution around motion)
 * and how detections from overlapping crops merge back into one per object.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Box, Detection } from '../../src/core/types.js';
import { mergeDetections, planRegions, type RegionOptions } from '../../src/regions/regions.js';

const HD: RegionOptions = { frameWidth: 1280, frameHeight: 720, modelSize: 512, padding: 1.5, maxRegions: 3 };
const WHOLE_HD: Box = [0, 0, 1280, 720];

function assertSquareInside(r: Box, side: number, opts: RegionOptions): void {
  assert.equal(r[2] - r[0], side, `region ${r} width`);
  assert.equal(r[3] - r[1], side, `region ${r} height`);
  assert.ok(r[0] >= 0 && r[1] >= 0 && r[2] <= opts.frameWidth && r[3] <= opts.frameHeight, `region ${r} leaves the frame`);
}

function contains(outer: Box, inner: Box): boolean {
  return outer[0] <= inner[0] && outer[1] <= inner[1] && outer[2] >= inner[2] && outer[3] >= inner[3];
}

describe('planRegions', () => {
  it('plans nothing without motion or tracks', () => {
    assert.deepEqual(planRegions([], [], HD), []);
  });

  it('puts a small moving box in one model-sized square centred on it', () => {
    const box: Box = [600, 300, 640, 380];
    const regions = planRegions([box], [], HD);
    assert.equal(regions.length, 1);
    const r = regions[0]!;
    assertSquareInside(r, 512, HD);
    assert.ok(contains(r, box));
    assert.deepEqual([(r[0] + r[2]) / 2, (r[1] + r[3]) / 2], [620, 340]);
  });

  it('shifts a square near the frame corner inside the frame instead of cutting it', () => {
    const box: Box = [1250, 690, 1275, 715];
    const regions = planRegions([box], [], HD);
    assert.equal(regions.length, 1);
    assertSquareInside(regions[0]!, 512, HD);
    assert.ok(contains(regions[0]!, box));
    assert.deepEqual(regions[0], [768, 208, 1280, 720]);
  });

  it('grows the square to padding x the box side when that exceeds the model size', () => {
    const box: Box = [400, 100, 800, 500]; // 400 px side x 1.5 = 600
    const regions = planRegions([box], [], HD);
    assert.equal(regions.length, 1);
    assertSquareInside(regions[0]!, 600, HD);
    assert.ok(contains(regions[0]!, box));
  });

  it('follows a tracked box that no longer moves', () => {
    const tracked: Box = [200, 200, 240, 300];
    const regions = planRegions([], [tracked], HD);
    assert.equal(regions.length, 1);
    assert.ok(contains(regions[0]!, tracked));
  });

  it('lets two nearby boxes share one square', () => {
    const a: Box = [600, 300, 640, 380];
    const b: Box = [700, 320, 740, 400];
    const regions = planRegions([a, b], [], HD);
    assert.equal(regions.length, 1);
    assertSquareInside(regions[0]!, 512, HD);
    assert.ok(contains(regions[0]!, a) && contains(regions[0]!, b));
  });

  it('gives two far-apart boxes a square each', () => {
    const a: Box = [50, 100, 90, 180];
    const b: Box = [1150, 500, 1200, 600];
    const regions = planRegions([a, b], [], HD);
    assert.equal(regions.length, 2);
    for (const r of regions) assertSquareInside(r, 512, HD);
    assert.ok(regions.some((r) => contains(r, a)), 'no region holds the left box');
    assert.ok(regions.some((r) => contains(r, b)), 'no region holds the right box');
  });

  it('falls back to one whole-frame region when there are more clusters than maxRegions', () => {
    const corners: Box[] = [
      [20, 20, 60, 100],
      [1220, 20, 1260, 100],
      [20, 620, 60, 700],
      [1220, 620, 1260, 700],
    ];
    // The same four boxes fit when four crops are allowed: the fallback is the maxRegions rule.
    assert.equal(planRegions(corners, [], { ...HD, maxRegions: 4 }).length, 4);
    assert.deepEqual(planRegions(corners, [], HD), [WHOLE_HD]);
  });

  it('takes the whole frame for a box whose padded side exceeds the frame height', () => {
    assert.deepEqual(planRegions([[300, 60, 500, 660]], [], HD), [WHOLE_HD]); // 600 x 1.5 > 720
    assert.deepEqual(planRegions([[0, 0, 400, 720]], [], HD), [WHOLE_HD]);
  });

  it('takes the whole of a 768x576 frame rather than two crops (little shrink into 512)', () => {
    const pal: RegionOptions = { ...HD, frameWidth: 768, frameHeight: 576 };
    const a: Box = [10, 10, 50, 90];
    const b: Box = [700, 480, 750, 560];
    assert.deepEqual(planRegions([a, b], [], pal), [[0, 0, 768, 576]]);
    // One box still gets its own crop: the rule only saves a second inference.
    const one = planRegions([a], [], pal);
    assert.equal(one.length, 1);
    assertSquareInside(one[0]!, 512, pal);
  });
});

describe('mergeDetections', () => {
  const det = (box: Box, score: number, label = 'person'): Detection => ({ box, score, label });

  it('keeps one detection, the whole box, for an object cut by one crop and whole in another', () => {
    const full = det([100, 100, 200, 300], 0.8);
    const partial = det([150, 100, 200, 200], 0.55); // inside the full box, IoU only 0.25
    assert.deepEqual(mergeDetections([[partial], [full]]), [full]);
    assert.deepEqual(mergeDetections([[full], [partial]]), [full], 'the order of the crops must not matter');
  });

  it('keeps the whole box with the higher score when the cut box scores higher', () => {
    // Measured: a bus cut in half by a crop edge scored 0.88, the whole bus 0.87.
    const full = det([100, 100, 200, 300], 0.5);
    const partial = det([150, 100, 200, 200], 0.7);
    assert.deepEqual(mergeDetections([[full], [partial]]), [{ ...full, score: 0.7 }]);
  });

  it('keeps two people side by side in one crop', () => {
    const a = det([100, 100, 160, 300], 0.8);
    const b = det([150, 100, 210, 300], 0.7);
    const merged = mergeDetections([[a, b]]);
    assert.equal(merged.length, 2);
  });

  it('keeps a person in front of another in one crop (the model already suppressed duplicates there)', () => {
    const adult = det([100, 100, 220, 320], 0.8);
    const child = det([150, 150, 200, 300], 0.6); // wholly inside the adult's box, IoU 0.28
    assert.equal(mergeDetections([[adult, child]]).length, 2);
  });

  it('merges one box reported twice in two overlapping crops', () => {
    const a = det([400, 200, 460, 360], 0.6);
    const b = det([402, 204, 462, 362], 0.75);
    const merged = mergeDetections([[a], [b]]);
    assert.equal(merged.length, 1);
    assert.equal(merged[0]!.score, 0.75);
    assert.ok([a.box, b.box].some((box) => JSON.stringify(box) === JSON.stringify(merged[0]!.box)), `box ${merged[0]!.box}`);
  });

  it('merges the same box under labels car and truck', () => {
    const car = det([100, 100, 300, 250], 0.7, 'car');
    const truck = det([105, 100, 300, 250], 0.6, 'truck'); // IoU 0.975
    assert.deepEqual(mergeDetections([[car, truck]]), [car]);
  });

  it('keeps a car and a truck that only partly overlap', () => {
    const car = det([100, 100, 300, 250], 0.7, 'car');
    const truck = det([200, 100, 400, 250], 0.6, 'truck'); // IoU 0.33
    assert.equal(mergeDetections([[car], [truck]]).length, 2);
  });

  it('returns nothing for no detections', () => {
    assert.deepEqual(mergeDetections([[], []]), []);
  });
});
