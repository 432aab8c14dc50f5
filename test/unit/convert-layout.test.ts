/**
 * The pure arithmetic of the TFJS -> ONNX converter: float16 weights, TF
 * 'SAME' padding, weight layouts, size-constant rescaling and the tail's
 * reshape/slice rules.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeFloat16, float16ToNumber } from '../../src/convert/float16.js';
import { depthwiseToOihw, hwioToOihw, nhwcAxisInNchw, transpose } from '../../src/convert/layout.js';
import { axisPads, pads2d } from '../../src/convert/padding.js';
import { rescaleValue } from '../../src/convert/size-consts.js';
import { resolveReshape, stridedSlice } from '../../src/convert/ops/tail.js';

describe('float16 decoding', () => {
  it('decodes normal, subnormal, signed and special values exactly', () => {
    assert.equal(float16ToNumber(0x3c00), 1);
    assert.equal(float16ToNumber(0xc000), -2);
    assert.equal(float16ToNumber(0x7bff), 65504);
    assert.equal(float16ToNumber(0x0001), 2 ** -24);
    assert.equal(float16ToNumber(0x3555), 0.333251953125);
    assert.equal(float16ToNumber(0x7c00), Infinity);
    assert.equal(float16ToNumber(0xfc00), -Infinity);
    assert.ok(Number.isNaN(float16ToNumber(0x7e00)));
    assert.equal(Object.is(float16ToNumber(0x8000), -0), true);
  });

  it('reads little-endian values at an offset', () => {
    const bytes = Uint8Array.of(0xff, 0x00, 0x3c, 0x00, 0xc0);
    assert.deepEqual([...decodeFloat16(bytes, 1, 2)], [1, -2]);
  });
});

describe('TF SAME padding as explicit pads', () => {
  it('puts the odd pixel at the end for stride 2', () => {
    assert.deepEqual(axisPads(512, 3, 2, 1, 'SAME'), { before: 0, after: 1, out: 256 });
    assert.deepEqual(axisPads(128, 5, 2, 1, 'SAME'), { before: 1, after: 2, out: 64 });
  });

  it('pads symmetrically for stride 1 and not at all for VALID', () => {
    assert.deepEqual(axisPads(64, 5, 1, 1, 'SAME'), { before: 2, after: 2, out: 64 });
    assert.deepEqual(axisPads(64, 1, 1, 1, 'SAME'), { before: 0, after: 0, out: 64 });
    assert.deepEqual(axisPads(64, 3, 1, 1, 'VALID'), { before: 0, after: 0, out: 62 });
  });

  it('accounts for dilation and odd sizes', () => {
    assert.deepEqual(axisPads(13, 3, 1, 2, 'SAME'), { before: 2, after: 2, out: 13 });
    assert.deepEqual(axisPads(13, 3, 2, 1, 'SAME'), { before: 1, after: 1, out: 7 });
  });

  it('orders 2-D pads as ONNX wants: top, left, bottom, right', () => {
    const p = pads2d(512, 416, { kernel: [3, 3], stride: [2, 2], dilation: [1, 1] }, 'SAME');
    assert.deepEqual(p, { pads: [0, 0, 1, 1], outHeight: 256, outWidth: 208 });
  });
});

describe('weight layouts', () => {
  it('transposes HWIO to OIHW', () => {
    // kh=1, kw=2, in=2, out=3: value = 100*h + 10*w + ... encoded as w*100 + i*10 + o
    const dims = [1, 2, 2, 3];
    const data = Float32Array.from({ length: 12 }, (_, n) => {
      const o = n % 3;
      const i = Math.floor(n / 3) % 2;
      const w = Math.floor(n / 6);
      return w * 100 + i * 10 + o;
    });
    const out = hwioToOihw(data, dims);
    assert.deepEqual(out.dims, [3, 2, 1, 2]);
    // OIHW index (o, i, 0, w) holds w*100 + i*10 + o.
    for (let o = 0; o < 3; o++) for (let i = 0; i < 2; i++) for (let w = 0; w < 2; w++) {
      assert.equal(out.data[((o * 2 + i) * 1 + 0) * 2 + w], w * 100 + i * 10 + o);
    }
  });

  it('lays depthwise [kh, kw, C, M] out as [C*M, 1, kh, kw], channel-major', () => {
    const dims = [2, 1, 2, 2]; // kh=2, kw=1, C=2, M=2
    const data = Float32Array.from({ length: 8 }, (_, n) => n);
    const out = depthwiseToOihw(data, dims);
    assert.deepEqual(out.dims, [4, 1, 2, 1]);
    // output channel c*M+m, tap h: source index ((h*1+0)*2+c)*2+m
    assert.deepEqual([...out.data], [0, 4, 1, 5, 2, 6, 3, 7]);
  });

  it('round-trips NHWC <-> NCHW and maps axes', () => {
    const data = Int32Array.from({ length: 24 }, (_, i) => i);
    const nchw = transpose(data, [1, 2, 3, 4], [0, 3, 1, 2]);
    assert.deepEqual([...transpose(nchw, [1, 4, 2, 3], [0, 2, 3, 1])], [...data]);
    assert.deepEqual([0, 1, 2, 3, -1].map(nhwcAxisInNchw), [0, 2, 3, 1, 1]);
  });
});

describe('size constants for another input size', () => {
  it('scales feature-map extents linearly and areas quadratically', () => {
    assert.equal(rescaleValue(128, 512, 320, 'x'), 80);
    assert.equal(rescaleValue(32, 512, 416, 'x'), 26);
    assert.equal(rescaleValue(16384, 512, 320, 'x'), 6400);
  });

  it('leaves other integers alone and refuses ambiguous ones', () => {
    assert.equal(rescaleValue(80, 512, 320, 'classes'), 80);
    assert.equal(rescaleValue(100, 512, 320, 'k'), 100);
    assert.throws(() => rescaleValue(256, 512, 320, 'c'), /both a feature-map size and an area/);
  });
});

describe('decoding-tail shape rules', () => {
  it('resolves one -1 in a reshape and rejects impossible ones', () => {
    assert.deepEqual(resolveReshape([1, 128, 128, 4], [-1, 4], 'r'), [16384, 4]);
    assert.throws(() => resolveReshape([1, 10], [3, -1], 'r'), /cannot reshape/);
    assert.throws(() => resolveReshape([1, 10], [0, 10], 'r'), /zero-size/);
  });

  it('turns begin/end masks into full ranges', () => {
    const s = stridedSlice([1, 100, 4], [0, 0, 2], [0, 0, 3], [1, 1, 1], 3, 3);
    assert.deepEqual(s, { starts: [0, 0, 2], ends: [1, 100, 3], steps: [1, 1, 1], shape: [1, 100, 1] });
  });
});
