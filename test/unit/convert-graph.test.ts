/**
 * The converter on a tiny synthetic TF graph (stride-2 SAME conv with fused
 * bias + Relu6, depthwise conv, channel concat, spatial mean), run in ORT
 * against a direct NHWC computation; and the ONNX codec round trip.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { convertGraph } from '../../src/convert/convert.js';
import { decodeModel, encodeModel } from '../../src/convert/onnx-codec.js';
import type { TfAttr, TfConst, TfGraph, TfNode } from '../../src/convert/tfjs-graph.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const ints = (v: number[]): TfAttr => ({ list: { i: v.map(String) } });
const node = (name: string, op: string, inputs: string[], attr: Record<string, TfAttr> = {}): TfNode => ({ name, op, inputs, attr });
const f32 = (shape: number[], f: (i: number) => number): TfConst => ({ dtype: 'float32', shape, data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => f(i)) });

const S = 8;
const CONV_W = f32([3, 3, 3, 4], (i) => Math.sin(i) * 0.3);
const CONV_B = f32([4], (i) => i - 1.5);
const DW_W = f32([3, 3, 4, 1], (i) => Math.cos(i) * 0.5);

function tinyGraph(): TfGraph {
  const conv = { strides: ints([1, 2, 2, 1]), padding: { s: b64('SAME') }, fused_ops: { list: { s: [b64('BiasAdd'), b64('Relu6')] } } };
  const dw = { strides: ints([1, 1, 1, 1]), padding: { s: b64('SAME') } };
  return {
    nodes: [
      node('x', 'Placeholder', [], { shape: { shape: { dim: [1, S, S, 3].map((d) => ({ size: String(d) })) } } }),
      node('conv', '_FusedConv2D', ['x', 'w', 'b'], conv),
      node('dw', 'DepthwiseConv2dNative', ['conv', 'dww'], dw),
      node('cat', 'ConcatV2', ['conv', 'dw', 'axis']),
      node('mean', 'Mean', ['cat', 'axes'], { keep_dims: { b: true } }),
      node('flat', 'Reshape', ['mean', 'shape']),
    ],
    consts: new Map<string, TfConst>([
      ['w', CONV_W], ['b', CONV_B], ['dww', DW_W],
      ['axis', { dtype: 'int32', shape: [], data: Int32Array.of(3) }],
      ['axes', { dtype: 'int32', shape: [2], data: Int32Array.of(1, 2) }],
      ['shape', { dtype: 'int32', shape: [2], data: Int32Array.of(1, -1) }],
    ]),
  };
}

/** NHWC conv, TF SAME padding (pad before = floor(total / 2)), depthwise when `depthwise`. */
function convNhwc(x: Float32Array, h: number, w: number, c: number, k: TfConst, stride: number, depthwise: boolean): { y: Float32Array; h: number; w: number; c: number } {
  const [kh, kw, , m] = k.shape as [number, number, number, number];
  const oh = Math.ceil(h / stride);
  const ow = Math.ceil(w / stride);
  const padT = Math.floor(Math.max((oh - 1) * stride + kh - h, 0) / 2);
  const padL = Math.floor(Math.max((ow - 1) * stride + kw - w, 0) / 2);
  const oc = depthwise ? c * m : m;
  const y = new Float32Array(oh * ow * oc);
  for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) for (let o = 0; o < oc; o++) {
    let acc = 0;
    for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) {
      const iy = oy * stride + i - padT;
      const ix = ox * stride + j - padL;
      if (iy < 0 || ix < 0 || iy >= h || ix >= w) continue;
      if (depthwise) acc += x[(iy * w + ix) * c + o]! * k.data[((i * kw + j) * c + o)]!;
      else for (let ci = 0; ci < c; ci++) acc += x[(iy * w + ix) * c + ci]! * k.data[((i * kw + j) * c + ci) * m + o]!;
    }
    y[(oy * ow + ox) * oc + o] = acc;
  }
  return { y, h: oh, w: ow, c: oc };
}

function reference(x: Float32Array): number[] {
  const conv = convNhwc(x, S, S, 3, CONV_W, 2, false);
  const relu6 = conv.y.map((v, i) => Math.min(6, Math.max(0, v + CONV_B.data[i % 4]!)));
  const dw = convNhwc(relu6, conv.h, conv.w, 4, DW_W, 1, true);
  const mean = (t: Float32Array, c: number) => Array.from({ length: c }, (_, ch) => t.filter((_, i) => i % c === ch).reduce((a, b) => a + b, 0) / (t.length / c));
  return [...mean(relu6, 4), ...mean(dw.y, 4)];
}

describe('convertGraph on a synthetic TF graph', () => {
  it('matches a direct NHWC computation in ORT', async () => {
    const converted = convertGraph(tinyGraph(), {
      size: S, opset: 17, producer: 'test', input: { tf: 'x', onnx: 'images' },
      outputs: [{ tf: 'flat', onnx: 'out', layout: 'TF' }],
    });
    const session = await ort.InferenceSession.create(encodeModel(converted.graph));
    const nhwc = Float32Array.from({ length: S * S * 3 }, (_, i) => ((i * 37) % 255) / 40);
    const nchw = new Float32Array(nhwc.length);
    for (let p = 0; p < S * S; p++) for (let c = 0; c < 3; c++) nchw[c * S * S + p] = nhwc[p * 3 + c]!;
    const out = await session.run({ images: new ort.Tensor('float32', nchw, [1, 3, S, S]) });
    const got = [...(out.out!.data as Float32Array)];
    const want = reference(nhwc);
    assert.equal(got.length, 8);
    got.forEach((v, i) => assert.ok(Math.abs(v - want[i]!) < 1e-4, `value ${i}: ${v} vs ${want[i]}`));
    await session.release();
  });

  it('refuses ops it does not know, naming the node', () => {
    const g = tinyGraph();
    const bad = { ...g, nodes: [...g.nodes, node('odd', 'Softplus', ['flat'])] };
    assert.throws(() => convertGraph(bad, { size: S, opset: 17, producer: 't', input: { tf: 'x', onnx: 'images' }, outputs: [{ tf: 'odd', onnx: 'o', layout: 'TF' }] }), /op Softplus \(node odd\)/);
  });
});

describe('ONNX codec', () => {
  it('round-trips nodes, attributes, typed initializers and metadata', () => {
    const converted = convertGraph(tinyGraph(), {
      size: S, opset: 17, producer: 'test', input: { tf: 'x', onnx: 'images' },
      outputs: [{ tf: 'flat', onnx: 'out', layout: 'TF' }],
    });
    converted.graph.metadata = { source: 'synthetic' };
    const back = decodeModel(encodeModel(converted.graph));
    assert.equal(back.opset, 17);
    assert.deepEqual(back.metadata, { source: 'synthetic' });
    assert.deepEqual(back.nodes.map((n) => [n.op, n.inputs, n.outputs, n.attrs]), converted.graph.nodes.map((n) => [n.op, n.inputs, n.outputs, n.attrs]));
    for (const [name, t] of converted.graph.initializers) {
      const u = back.initializers.get(name)!;
      assert.deepEqual([u.dtype, [...u.dims], [...u.data]], [t.dtype, [...t.dims], [...t.data]], name);
    }
  });
});
