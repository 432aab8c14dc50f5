/**
 * GPTQ weight rounding (src/convert/quantize-gptq.ts): the linear algebra,
 * the input statistics it is built from, and that it really lowers a conv's
 * output error on correlated inputs where round-to-nearest does not look.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { accumulateHessians, cholesky, choleskyInverse, convGeometry, gptqRows, outputSize, symmetrize, upperCholeskyOfInverse, type ConvGeometry } from '../../src/convert/quantize-gptq.js';
import { quantizeWeights } from '../../src/convert/quantize-params.js';
import { int, ints, type OnnxNode } from '../../src/convert/onnx-ir.js';

/** Deterministic uniform [0, 1). */
function random(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 16807) % 2147483647;
    return s / 2147483647;
  };
}

/** H = sum x x^T over the samples (full matrix). */
function gram(samples: readonly Float64Array[], d: number): Float64Array {
  const H = new Float64Array(d * d);
  for (const x of samples) for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) H[a * d + b]! += x[a]! * x[b]!;
  return H;
}

function matmul(A: Float64Array, B: Float64Array, d: number): Float64Array {
  const C = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let k = 0; k < d; k++) for (let j = 0; j < d; j++) C[i * d + j]! += A[i * d + k]! * B[k * d + j]!;
  return C;
}

/** Sum over samples and rows of ((w - q * s) . x)^2: the change of the conv's output. */
function outputError(w: Float32Array, q: Int8Array, scales: Float32Array, rows: number, d: number, samples: readonly Float64Array[]): number {
  let e = 0;
  for (const x of samples) {
    for (let r = 0; r < rows; r++) {
      let y = 0;
      for (let i = 0; i < d; i++) y += (w[r * d + i]! - q[r * d + i]! * scales[r]!) * x[i]!;
      e += y * y;
    }
  }
  return e;
}

describe('GPTQ linear algebra', () => {
  const d = 6;
  const next = random(11);
  const samples = Array.from({ length: 40 }, () => Float64Array.from({ length: d }, () => next() - 0.3));
  const H = gram(samples, d);

  it('factors and inverts a symmetric positive definite matrix', () => {
    const L = cholesky(H, d);
    for (let i = 0; i < d; i++) for (let j = i + 1; j < d; j++) assert.equal(L[i * d + j], 0, 'lower triangular');
    const product = matmul(H, choleskyInverse(L, d), d);
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) assert.ok(Math.abs(product[i * d + j]! - (i === j ? 1 : 0)) < 1e-9, `H H^-1 at ${i},${j}: ${product[i * d + j]}`);
  });

  it('gives the upper factor U of H^-1 with U^T U = H^-1', () => {
    const U = upperCholeskyOfInverse(H, d);
    const inv = choleskyInverse(cholesky(H, d), d);
    const Ut = new Float64Array(d * d);
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) Ut[i * d + j] = U[j * d + i]!;
    const UtU = matmul(Ut, U, d);
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < i; j++) assert.equal(U[i * d + j], 0, 'upper triangular');
      for (let j = 0; j < d; j++) assert.ok(Math.abs(UtU[i * d + j]! - inv[i * d + j]!) < 1e-9);
    }
  });

  it('refuses a matrix that is not positive definite', () => {
    assert.throws(() => cholesky(Float64Array.of(1, 2, 2, 1), 2), /not positive definite/);
  });
});

describe('GPTQ rounding', () => {
  it('lowers the output error on correlated inputs, where round-to-nearest ignores the correlation', () => {
    const d = 27;
    const rows = 8;
    const next = random(5);
    // Pixel-like inputs: every patch shares a level, plus a little texture.
    const samples = Array.from({ length: 2000 }, () => {
      const level = next();
      return Float64Array.from({ length: d }, () => level + 0.1 * (next() - 0.5));
    });
    const w = Float32Array.from({ length: rows * d }, () => (next() - 0.5) * 0.3);
    const nearest = quantizeWeights(w, rows);
    const gptq = gptqRows(w, rows, d, nearest.scales, gram(samples, d));
    assert.ok(gptq.every((v) => v >= -127 && v <= 127));
    const eNearest = outputError(w, nearest.data, nearest.scales, rows, d, samples);
    const eGptq = outputError(w, gptq, nearest.scales, rows, d, samples);
    assert.ok(eGptq < eNearest / 4, `GPTQ ${eGptq} vs nearest ${eNearest}`);
  });

  it('equals round-to-nearest when the inputs are uncorrelated (diagonal H)', () => {
    const d = 9;
    const next = random(3);
    const w = Float32Array.from({ length: 2 * d }, () => next() - 0.5);
    const H = new Float64Array(d * d);
    for (let i = 0; i < d; i++) H[i * d + i] = 1 + next();
    const nearest = quantizeWeights(w, 2);
    assert.deepEqual([...gptqRows(w, 2, d, nearest.scales, H)], [...nearest.data]);
  });

  it('rounds to nearest where H is all zero (a conv that never saw input)', () => {
    const w = Float32Array.of(0.5, -0.25, 0.125, 1);
    const nearest = quantizeWeights(w, 1);
    assert.deepEqual([...gptqRows(w, 1, 4, nearest.scales, new Float64Array(16))], [...nearest.data]);
  });
});

describe('GPTQ input statistics', () => {
  const conv = (attrs: OnnxNode['attrs']): OnnxNode => ({ name: 'c', op: 'Conv', domain: '', inputs: ['x', 'w'], outputs: ['y'], attrs });

  it('reads geometry from the conv attributes', () => {
    const g = convGeometry(conv({ group: int(4), pads: ints([1, 1, 1, 1]), strides: ints([2, 2]) }), [4, 1, 3, 3]);
    assert.deepEqual(g, { group: 4, kernel: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], dilations: [1, 1] });
    assert.throws(() => convGeometry(conv({ auto_pad: { type: 'string', value: 'SAME_UPPER' } }), [1, 1, 3, 3]), /auto_pad/);
  });

  it('sizes the output as ONNX Conv does', () => {
    assert.deepEqual(outputSize(convGeometry(conv({ pads: ints([1, 1, 1, 1]), strides: ints([2, 2]) }), [8, 8, 3, 3]), 256, 255), [128, 128]);
    assert.deepEqual(outputSize(convGeometry(conv({ pads: ints([0, 2, 0, 2]), dilations: ints([1, 2]) }), [8, 8, 3, 3]), 10, 10), [8, 10]);
  });

  it('builds H from zero-padded patches, per group', () => {
    // Two channels of 3x3, depthwise 3x3 with pad 1: the corner output's patch has 5 zeros.
    const input = Float32Array.from({ length: 18 }, (_, i) => i + 1);
    const geo: ConvGeometry = { group: 2, kernel: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1], dilations: [1, 1] };
    const hs = [new Float64Array(81), new Float64Array(81)];
    accumulateHessians(hs, input, [1, 2, 3, 3], geo, [0]);
    hs.forEach((h) => symmetrize(h, 9));
    // Output (0, 0) reads rows -1..1, cols -1..1: in-map taps are (0,0) (0,1) (1,0) (1,1) = kernel taps 4, 5, 7, 8.
    const patch = (c: number) => {
      const x = new Float64Array(9);
      [[4, 0], [5, 1], [7, 3], [8, 4]].forEach(([tap, at]) => (x[tap!] = input[c * 9 + at!]!));
      return x;
    };
    assert.deepEqual([...hs[0]!], [...gram([patch(0)], 9)]);
    assert.deepEqual([...hs[1]!], [...gram([patch(1)], 9)]);
  });

  it('follows stride: output 1 of a stride-2 1x1 conv reads input column 2', () => {
    const input = Float32Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16);
    const geo: ConvGeometry = { group: 1, kernel: [1, 1], strides: [2, 2], pads: [0, 0, 0, 0], dilations: [1, 1] };
    const h = [new Float64Array(1)];
    accumulateHessians(h, input, [1, 1, 4, 4], geo, [1]);
    assert.equal(h[0]![0], 3 * 3);
  });
});
