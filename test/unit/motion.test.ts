import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Box, Frame, MotionResult, Polygon } from '../../src/core/types.js';
import { DEFAULT_MOTION_OPTIONS, MotionDetector, type MotionOptions } from '../../src/motion/motion-detector.js';
import { mergeTouching, type SmallBox } from '../../src/motion/components.js';
import { LumaDownscaler } from '../../src/motion/downscale.js';
import { makeGrid } from '../../src/motion/grid.js';
import { mulberry32 } from '../../src/core/random.js';

const W = 640;
const H = 360;
/** Full-frame pixels per small pixel at the default height of 120. */
const BIN = H / DEFAULT_MOTION_OPTIONS.height;

/** Deterministic PRNG, so a failing frame can be replayed. */
const prng = mulberry32;

interface Block {
  x: number;
  y: number;
  w: number;
  h: number;
  /** Grey level of the block, or a striped pattern alternating dark and bright every 40 px. */
  grey: number | 'stripes';
}

interface SceneOptions {
  /** Top half saturated white (a sky), so a brightness step changes only the bottom half. */
  saturatedTop?: boolean;
}

/** A static textured scene, 90..170 luma, with fresh sensor noise on every rendered frame. */
class Scene {
  private readonly base: Uint8Array;
  private index = 0;

  constructor(seed: number, options: SceneOptions = {}) {
    const rand = prng(seed);
    this.base = new Uint8Array(W * H * 3);
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const sky = options.saturatedTop === true && y < H / 2;
        const v = sky ? 250 : 130 + 25 * Math.sin(x / 17) * Math.cos(y / 23) + (rand() - 0.5) * 20;
        const i = (y * W + x) * 3;
        this.base[i] = Math.min(255, v + 5);
        this.base[i + 1] = v;
        this.base[i + 2] = v - 5;
      }
    }
  }

  /** Next frame: base + brightness offset, blocks painted, ±3 levels of noise per channel. */
  frame(blocks: readonly Block[] = [], brightness = 0): Frame {
    const rand = prng(1000 + this.index);
    const rgb = new Uint8Array(this.base.length);
    const clamped = new Uint8ClampedArray(rgb.buffer);
    for (let i = 0; i < rgb.length; i++) clamped[i] = this.base[i]! + brightness + Math.round((rand() - 0.5) * 6);
    for (const b of blocks) paint(rgb, b, brightness);
    const index = this.index++;
    return { index, tS: index / 5, width: W, height: H, rgb };
  }
}

function paint(rgb: Uint8Array, b: Block, brightness: number): void {
  for (let y = b.y; y < b.y + b.h; y++) {
    for (let x = b.x; x < b.x + b.w; x++) {
      const stripe = Math.floor((x - b.x) / 40) % 2 === 0;
      const grey = b.grey === 'stripes' ? (stripe ? 10 : 245) : b.grey + brightness;
      rgb.fill(Math.max(0, Math.min(255, grey)), (y * W + x) * 3, (y * W + x) * 3 + 3);
    }
  }
}

/** A detector that has finished calibrating on a static view of `scene`. */
function calibrated(scene: Scene, options?: MotionOptions, masks?: readonly Polygon[]): MotionDetector {
  const detector = new MotionDetector(W, H, options, masks);
  for (let i = 0; i < (options?.calibrationFrames ?? DEFAULT_MOTION_OPTIONS.calibrationFrames); i++) {
    assert.equal(detector.detect(scene.frame()).calibrating, true, `frame ${i} should be calibrating`);
  }
  return detector;
}

const dark = (x: number, y: number, w = 40, h = 80): Block => ({ x, y, w, h, grey: 20 });

/**
 * The box reaches beyond the block by the dilation (2 small pixels), give or
 * take one small pixel of rounding, plus at most one more for the blur.
 */
function assertBoxFits(box: Box, b: Block, label = ''): void {
  const grow = DEFAULT_MOTION_OPTIONS.dilateIterations * BIN;
  const least = grow - (BIN - 1);
  const most = grow + 2 * BIN;
  const margins = [b.x - box[0], b.y - box[1], box[2] - (b.x + b.w), box[3] - (b.y + b.h)];
  const msg = `${label} box ${box.join(',')} vs block ${b.x},${b.y},${b.x + b.w},${b.y + b.h}: margins ${margins.join(',')}`;
  // At the frame edge the box is clamped, so the margin is at most the room there was.
  const room = [b.x, b.y, W - (b.x + b.w), H - (b.y + b.h)];
  margins.forEach((m, i) => {
    const lower = Math.min(least, room[i]!);
    assert.ok(m >= lower && m <= most, `edge ${i}: ${msg}`);
  });
}

function assertQuiet(r: MotionResult, label: string): void {
  assert.deepEqual(r.boxes, [], `${label}: expected no boxes`);
  assert.equal(r.lightChange, false, `${label}: unexpected light change`);
}

test('reports calibrating with no boxes for the first calibrationFrames frames, even with motion', () => {
  const scene = new Scene(1);
  const detector = new MotionDetector(W, H);
  for (let i = 0; i < DEFAULT_MOTION_OPTIONS.calibrationFrames; i++) {
    const r = detector.detect(scene.frame([dark(100 + i * 8, 100)]));
    assert.equal(r.calibrating, true, `frame ${i}`);
    assert.deepEqual(r.boxes, [], `frame ${i}: no boxes while calibrating`);
  }
  const r = detector.detect(scene.frame([dark(300, 100)]));
  assert.equal(r.calibrating, false);
  assert.ok(r.boxes.length > 0, 'motion is reported once calibrated');
});

test('a static noisy scene gives no boxes once calibrated', () => {
  const scene = new Scene(1);
  const detector = calibrated(scene);
  for (let i = 0; i < 30; i++) {
    const r = detector.detect(scene.frame());
    assert.equal(r.calibrating, false, `frame ${i}`);
    assertQuiet(r, `static frame ${i}`);
    assert.ok(r.changedFraction < 0.001, `static frame ${i}: changedFraction ${r.changedFraction}`);
  }
});

test('a moving 40x80 block gives one box around it on every frame', () => {
  const scene = new Scene(2);
  const detector = calibrated(scene);
  for (let i = 0; i < 20; i++) {
    const block = dark(150 + i * 7, 140 + i * 2);
    const r = detector.detect(scene.frame([block]));
    assert.equal(r.calibrating, false);
    assert.equal(r.boxes.length, 1, `frame ${i}: ${JSON.stringify(r.boxes)}`);
    assertBoxFits(r.boxes[0]!, block, `frame ${i}`);
    assert.ok(r.changedFraction > 0.005 && r.changedFraction < 0.05, `changedFraction ${r.changedFraction}`);
  }
});

test('a block in the corner of the frame gives a box clamped to the frame', () => {
  const scene = new Scene(15);
  const detector = calibrated(scene);
  const corner = dark(W - 40, H - 80);
  const r = detector.detect(scene.frame([corner]));
  assert.equal(r.boxes.length, 1, JSON.stringify(r.boxes));
  assert.deepEqual(r.boxes[0]!.slice(2), [W, H]);
  assertBoxFits(r.boxes[0]!, corner);
});

test('two separated blocks give two boxes, largest first', () => {
  const scene = new Scene(3);
  const detector = calibrated(scene);
  for (let i = 0; i < 5; i++) {
    const small = dark(80 + i * 5, 60);
    const big = dark(420 - i * 5, 200, 60, 100);
    const r = detector.detect(scene.frame([small, big]));
    assert.equal(r.boxes.length, 2, `frame ${i}: ${JSON.stringify(r.boxes)}`);
    assertBoxFits(r.boxes[0]!, big, `big, frame ${i}`);
    assertBoxFits(r.boxes[1]!, small, `small, frame ${i}`);
  }
});

for (const [name, step] of [['brightening', 60], ['darkening', -60]] as const) {
  test(`a whole-frame ${name} step of ${step} levels is a light change, and motion is found after recalibrating`, () => {
    const scene = new Scene(4);
    const detector = calibrated(scene);
    assertQuiet(detector.detect(scene.frame()), 'before the step');
    const r = detector.detect(scene.frame([], step));
    assert.equal(r.lightChange, true);
    assert.equal(r.calibrating, true);
    assert.deepEqual(r.boxes, []);
    assert.ok(r.changedFraction > 0.8, `changedFraction ${r.changedFraction}`);
    for (let i = 1; i < DEFAULT_MOTION_OPTIONS.calibrationFrames; i++) {
      const c = detector.detect(scene.frame([], step));
      assert.equal(c.calibrating, true, `recalibration frame ${i}`);
      assert.deepEqual(c.boxes, []);
    }
    assertQuiet(detector.detect(scene.frame([], step)), 'after recalibrating');
    const block = dark(300, 150);
    const m = detector.detect(scene.frame([block], step));
    assert.equal(m.lightChange, false);
    assert.equal(m.boxes.length, 1, JSON.stringify(m.boxes));
    assertBoxFits(m.boxes[0]!, block);
  });
}

test('a brightness step that changes only half the frame, all one way, is still a light change', () => {
  const scene = new Scene(5, { saturatedTop: true });
  const detector = calibrated(scene);
  const r = detector.detect(scene.frame([], 60));
  assert.ok(r.changedFraction > 0.45 && r.changedFraction < 0.8, `changedFraction ${r.changedFraction}`);
  assert.equal(r.lightChange, true);
  assert.deepEqual(r.boxes, []);
});

test('a large object near the lens changing half the frame both ways is motion, not a light change', () => {
  const scene = new Scene(6);
  const detector = calibrated(scene);
  const near: Block = { x: 40, y: 20, w: 480, h: 300, grey: 'stripes' };
  const r = detector.detect(scene.frame([near]));
  assert.ok(r.changedFraction > 0.45 && r.changedFraction < 0.8, `changedFraction ${r.changedFraction}`);
  assert.equal(r.lightChange, false);
  assert.equal(r.calibrating, false);
  assert.equal(r.boxes.length, 1, JSON.stringify(r.boxes));
  assertBoxFits(r.boxes[0]!, near);
});

test('a change of nearly the whole frame both ways (camera bumped) is a light change', () => {
  const scene = new Scene(12);
  const detector = calibrated(scene);
  const r = detector.detect(scene.frame([{ x: 0, y: 0, w: W, h: H, grey: 'stripes' }]));
  assert.ok(r.changedFraction > 0.8, `changedFraction ${r.changedFraction}`);
  assert.equal(r.lightChange, true);
  assert.deepEqual(r.boxes, []);
});

test('fragments of one object a few pixels apart are joined by dilation into one box', () => {
  const scene = new Scene(13);
  const detector = calibrated(scene);
  const left = dark(200, 120, 40, 80);
  const right = dark(252, 120, 40, 80);
  const r = detector.detect(scene.frame([left, right]));
  assert.equal(r.boxes.length, 1, JSON.stringify(r.boxes));
  assertBoxFits(r.boxes[0]!, { x: 200, y: 120, w: 92, h: 80, grey: 20 });
});

test('an object that stops fades into the background after about 1/alpha frames', () => {
  const scene = new Scene(14);
  const detector = calibrated(scene, { alpha: 0.05 });
  const parked = dark(300, 150);
  assert.equal(detector.detect(scene.frame([parked])).boxes.length, 1, 'seen when it arrives');
  let last: MotionResult | undefined;
  for (let i = 0; i < 60; i++) last = detector.detect(scene.frame([parked]));
  assertQuiet(last!, 'after 60 frames at alpha 0.05');
});

test('motion inside an exclusion mask gives no box while motion outside it does', () => {
  const scene = new Scene(7);
  const mask: Polygon = [[0, 0], [320, 0], [320, 360], [0, 360]];
  const detector = calibrated(scene, {}, [mask]);
  for (let i = 0; i < 5; i++) assertQuiet(detector.detect(scene.frame([dark(60 + i * 10, 100)])), `inside, frame ${i}`);
  const outside = dark(450, 100);
  const r = detector.detect(scene.frame([outside]));
  assert.equal(r.boxes.length, 1, JSON.stringify(r.boxes));
  assertBoxFits(r.boxes[0]!, outside);
  assert.ok(r.changedFraction > 0.02, `fraction of the watched half: ${r.changedFraction}`);
});

test('a 2x2-pixel speck gives nothing', () => {
  const scene = new Scene(8);
  const detector = calibrated(scene);
  for (let i = 0; i < 5; i++) {
    const speck: Block = { x: 301 + i * 9, y: 151, w: 2, h: 2, grey: 0 };
    assertQuiet(detector.detect(scene.frame([speck])), `frame ${i}`);
  }
});

test('minArea drops regions with fewer changed small pixels and keeps the others', () => {
  // At threshold 3 the speck, averaged into one small pixel then blurred, changes 3x3 = 9 small pixels.
  const speck: Block = { x: 301, y: 151, w: 2, h: 2, grey: 0 };
  const run = (minArea: number): MotionResult => {
    const scene = new Scene(9);
    return calibrated(scene, { threshold: 3, minArea }).detect(scene.frame([speck]));
  };
  assert.deepEqual(run(10).boxes, []);
  const kept = run(9).boxes;
  assert.equal(kept.length, 1, JSON.stringify(kept));
  assertBoxFits(kept[0]!, speck);
});

test('reset() forgets the background and calibrates again', () => {
  const scene = new Scene(10);
  const detector = calibrated(scene);
  detector.reset();
  const r = detector.detect(scene.frame([dark(200, 100)]));
  assert.equal(r.calibrating, true);
  assert.deepEqual(r.boxes, []);
});

test('downscaling averages areas into BT.601 integer-weight luma', () => {
  const grid = makeGrid(7, 5, 2);
  assert.deepEqual([grid.width, grid.height], [3, 2]);
  assert.deepEqual([...grid.colStart], [0, 2, 4, 7]);
  assert.deepEqual([...grid.rowStart], [0, 2, 5]);
  const rgb = new Uint8Array(7 * 5 * 3);
  for (let p = 0; p < 35; p++) rgb.set(p % 7 < 4 ? [255, 0, 0] : [0, 0, 255], p * 3);
  const out = new Float32Array(6);
  new LumaDownscaler(grid).run(rgb, out);
  const red = (77 * 255) / 256;
  const blue = (29 * 255) / 256;
  const expected = [red, red, blue, red, red, blue];
  out.forEach((v, i) => assert.ok(Math.abs(v - expected[i]!) < 1e-3, `pixel ${i}: ${v} vs ${expected[i]}`));
});

test('the word-at-a-time downscale agrees with the byte loop used for unaligned frames', () => {
  const grid = makeGrid(W, H, DEFAULT_MOTION_OPTIONS.height);
  const rand = prng(99);
  const backing = new Uint8Array(W * H * 3 + 1);
  for (let i = 0; i < backing.length; i++) backing[i] = Math.floor(rand() * 256);
  const aligned = backing.slice(1);
  const unaligned = backing.subarray(1);
  assert.equal(unaligned.byteOffset % 4, 1);
  const fast = new Float32Array(grid.width * grid.height);
  const slow = new Float32Array(grid.width * grid.height);
  new LumaDownscaler(grid).run(aligned, fast);
  new LumaDownscaler(grid).run(unaligned, slow);
  assert.deepEqual(fast, slow);
  assert.ok(fast.some((v) => v !== fast[0]), 'the input is not uniform');
});

test('boxes that overlap or touch are merged, separated ones are not', () => {
  const box = (x0: number, y0: number, x1: number, y1: number): SmallBox => ({ x0, y0, x1, y1, area: 1 });
  const merged = mergeTouching([box(0, 0, 2, 2), box(10, 10, 12, 12), box(3, 0, 4, 1), box(5, 1, 9, 9)]);
  assert.deepEqual(merged, [{ x0: 0, y0: 0, x1: 12, y1: 12, area: 4 }]);
  assert.equal(mergeTouching([box(0, 0, 2, 2), box(4, 0, 6, 2)]).length, 2);
});

test('rejects out-of-range options and frames of the wrong size', () => {
  assert.throws(() => new MotionDetector(W, H, { alpha: 0 }), /alpha/);
  assert.throws(() => new MotionDetector(W, H, { threshold: Number.NaN }), /threshold/);
  assert.throws(() => new MotionDetector(W, H, {}, [[[0, 0], [1, 1]]]), /mask 0/);
  const detector = new MotionDetector(320, 180);
  assert.throws(() => detector.detect(new Scene(11).frame()), /320x180/);
});
