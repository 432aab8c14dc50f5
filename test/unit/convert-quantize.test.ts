/**
 * The pure parts of int8 quantization: parameter arithmetic, calibration
 * range selection, equalization factors, and the agreement metric the
 * int8-vs-fp32 figures are stated in.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compareRows, iou, summarize } from '../../src/convert/agreement.js';
import { decodeHeadsNchw } from '../../src/convert/heads.js';
import { clipTails, mseRange } from '../../src/convert/quantize-calibrate.js';
import { groupFactors, MAX_FACTOR } from '../../src/convert/quantize-equalize.js';
import { activationParams, quantizeBias, quantizeValue, quantizeWeights, roundHalfEven } from '../../src/convert/quantize-params.js';
import { readsFineMaps } from '../../src/convert/quantize-plan.js';
import type { OnnxGraph, OnnxNode } from '../../src/convert/onnx-ir.js';

describe('quantization parameters', () => {
  it('keeps zero exact and covers the range for uint8 and int8', () => {
    const u = activationParams(-1, 3, 'uint8');
    assert.ok(Math.abs(u.scale - 4 / 255) < 1e-7);
    assert.equal(u.zeroPoint, 64);
    assert.equal(quantizeValue(0, u, 'uint8'), u.zeroPoint);
    const s = activationParams(0, 6, 'int8');
    assert.equal(s.zeroPoint, -128);
    assert.equal(quantizeValue(6, s, 'int8'), 127);
    assert.equal(quantizeValue(-1, s, 'int8'), -128);
  });

  it('widens a range that excludes zero', () => {
    const p = activationParams(2, 10, 'uint8');
    assert.equal(p.zeroPoint, 0);
    assert.ok(Math.abs(p.scale - 10 / 255) < 1e-7);
  });

  it('rounds half to even like QuantizeLinear', () => {
    assert.deepEqual([0.5, 1.5, 2.5, -0.5, -1.5, 2.4].map(roundHalfEven), [0, 2, 2, -0, -2, 2]);
  });

  it('quantizes weights per output channel, symmetric in [-127, 127]', () => {
    const w = Float32Array.of(1, -0.5, 0.25, 100, -50, 0);
    const q = quantizeWeights(w, 2);
    assert.deepEqual([...q.data], [127, -64, 32, 127, -64, 0]);
    assert.ok(Math.abs(q.scales[0]! - 1 / 127) < 1e-8);
    assert.ok(Math.abs(q.scales[1]! - 100 / 127) < 1e-5);
  });

  it('puts biases at input scale x weight scale', () => {
    const b = quantizeBias(Float32Array.of(1, -2), 0.5, Float32Array.of(0.1, 0.01));
    assert.deepEqual([...b.data], [20, -400]);
  });
});

describe('calibration ranges', () => {
  const range = { min: 0, max: 100 };

  it('clips the given share of values off each end', () => {
    const bins = new Float64Array(100).fill(1);
    bins[99] = 0;
    bins[98] = 1; // a long tail of single values
    // 99 values, 1.98 may go from each end: one whole bin at each end.
    const r = clipTails(bins, range, 0.02);
    assert.equal(r.min, 1);
    assert.equal(r.max, 98);
  });

  it('trades rounding noise against clipping error (MSE)', () => {
    const bins = new Float64Array(1000);
    bins.fill(10_000, 0, 100); // a million values in [0, 10)
    bins[999] = 1; // one outlier at ~100
    // 1e6 * (hi / 255)^2 / 12 + (100 - hi)^2 is smallest at hi = 43.8.
    const r = mseRange(bins, range);
    assert.ok(r.max >= 40 && r.max <= 48, `max ${r.max}`);
    assert.equal(r.min, 0);
  });
});

describe('channel equalization factors', () => {
  it('raises quiet channels towards the loudest, capped', () => {
    const k = groupFactors(['a'], new Map([['a', [10, 5, 1, 0]]]));
    assert.deepEqual([...k], [1, 2, 10, MAX_FACTOR]);
  });

  it('never widens any tensor of the group', () => {
    const k = groupFactors(['a', 'b'], new Map([['a', [10, 1]], ['b', [4, 2]]]));
    assert.deepEqual([...k], [1, 2]);
  });
});

describe('detection agreement', () => {
  const row = (x1: number, y1: number, x2: number, y2: number, score: number, cls: number) => [x1, y1, x2, y2, score, cls];

  it('computes IoU', () => {
    assert.equal(iou([0, 0, 10, 10], [0, 0, 10, 10]), 1);
    assert.equal(iou([0, 0, 10, 10], [5, 0, 15, 10]), 50 / 150);
    assert.equal(iou([0, 0, 1, 1], [2, 2, 3, 3]), 0);
  });

  it('matches boxes one-to-one by class and IoU, and names threshold effects', () => {
    const a = [...row(0, 0, 10, 10, 0.9, 0), ...row(20, 20, 30, 30, 0.31, 0), ...row(50, 50, 60, 60, 0.5, 2)];
    const b = [...row(1, 0, 10, 10, 0.8, 0), ...row(20, 20, 30, 30, 0.29, 0), ...row(50, 50, 60, 60, 0.5, 1)];
    const c = compareRows(a, b, { minScore: 0.3, minIou: 0.5, margin: 0.05 });
    assert.deepEqual(c, { a: 3, b: 2, matched: 1, borderline: 1 });
    const s = summarize([c, { a: 0, b: 0, matched: 0, borderline: 0 }]);
    assert.equal(s.percent, 25);
    assert.equal(s.inputsAgreeing, 1);
  });
});

describe('JavaScript decode of the heads', () => {
  it('keeps 3x3 peaks only and boxes them around 4 * cell', () => {
    const grid = 4;
    const classes = 2;
    const keypoints = new Float32Array(classes * grid * grid);
    const wh = new Float32Array(4 * grid * grid);
    keypoints[1 * 16 + 1 * 4 + 2] = 0.9; // class 1 at (x 2, y 1)
    keypoints[1 * 16 + 1 * 4 + 1] = 0.5; // its neighbour: not a peak
    keypoints[0 * 16 + 3 * 4 + 0] = 0.4; // class 0 at (x 0, y 3)
    for (let k = 0; k < 4; k++) wh[k * 16 + 1 * 4 + 2] = k + 1;
    const rows = decodeHeadsNchw(keypoints, wh, grid, classes);
    assert.deepEqual([...rows.slice(0, 6)], [8 - 1, 4 - 2, 8 + 3, 4 + 4, Math.fround(0.9), 1]);
    assert.deepEqual([...rows.slice(6, 12)], [0, 12, 0, 12, Math.fround(0.4), 0]);
    assert.equal(rows[16], 0);
  });
});

describe('which ops stay float by map stride', () => {
  const node = (name: string, input: string): OnnxNode => ({ name, op: 'Conv', domain: '', inputs: [input, `${name}/W`], outputs: [`${name}/y`], attrs: {} });
  const graph = (imageDims: readonly number[]): OnnxGraph => ({
    name: 'g', nodes: [], initializers: new Map(), opset: 17, metadata: {}, producer: 't', outputs: [],
    inputs: [{ name: 'images', dtype: 'float32', dims: imageDims }],
    valueInfo: [
      { name: 's2', dtype: 'float32', dims: [1, 16, 256, 256] },
      { name: 's4', dtype: 'float32', dims: [1, 24, 128, 128] },
      { name: 'gate', dtype: 'float32', dims: [1, 24, 1, 1] },
    ],
  });

  it('keeps the ops on the image and on stride-2 maps float, not those on stride 4 or of unknown shape', () => {
    const fine = readsFineMaps(graph([1, 3, 512, 512]), 2);
    assert.deepEqual(['images', 's2', 's4', 'gate', 'unknown'].map((t) => fine(node(t, t))), [true, true, false, false, false]);
    assert.equal(readsFineMaps(graph([1, 3, 512, 512]), 4)(node('s4', 's4')), true);
  });

  it('refuses a model without a fixed input shape', () => {
    assert.throws(() => readsFineMaps(graph([1, 3]), 2), /no fixed NCHW shape/);
  });
});
