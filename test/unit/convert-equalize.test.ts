/**
 * Channel equalization must not change what the float graph computes: a small
 * conv -> ReLU -> depthwise -> hard-swish -> conv chain, run in ORT before and
 * after folding deliberately uneven per-channel factors into it.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { encodeModel } from '../../src/convert/onnx-codec.js';
import { floatTensor, int, ints, type OnnxGraph, type OnnxNode } from '../../src/convert/onnx-ir.js';
import { equalizeGroups, findGroups } from '../../src/convert/quantize-equalize.js';

const C = 4;
const H = 6;

function conv(name: string, input: string, group: number, k: number): OnnxNode {
  return { name, op: 'Conv', domain: '', inputs: [input, `${name}/W`, `${name}/B`], outputs: [name], attrs: { group: int(group), kernel_shape: ints([k, k]), pads: ints(Array(4).fill((k - 1) / 2)) } };
}

function chain(): OnnxGraph {
  const w = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 1.7 + seed) * (1 + (i % 3)));
  const initializers = new Map([
    ['a/W', floatTensor(w(C * 3, 1), [C, 3, 1, 1])], ['a/B', floatTensor(w(C, 2), [C])],
    ['dw/W', floatTensor(w(C * 9, 3), [C, 1, 3, 3])], ['dw/B', floatTensor(w(C, 4), [C])],
    ['b/W', floatTensor(w(2 * C, 5), [2, C, 1, 1])], ['b/B', floatTensor(w(2, 6), [2])],
  ]);
  const map = (name: string, c: number) => ({ name, dtype: 'float32' as const, dims: [1, c, H, H] });
  return {
    name: 'chain', opset: 17, producer: 'test', metadata: {}, initializers,
    nodes: [
      conv('a', 'x', 1, 1),
      { name: 'relu', op: 'Relu', domain: '', inputs: ['a'], outputs: ['relu'], attrs: {} },
      conv('dw', 'relu', C, 3),
      { name: 'hs', op: 'HardSwish', domain: '', inputs: ['dw'], outputs: ['hs'], attrs: {} },
      conv('b', 'hs', 1, 1),
    ],
    inputs: [map('x', 3)],
    outputs: [map('b', 2)],
    valueInfo: [map('a', C), map('relu', C), map('dw', C), map('hs', C)],
  };
}

async function run(g: OnnxGraph, x: Float32Array): Promise<Float32Array> {
  const s = await ort.InferenceSession.create(encodeModel(g));
  const out = await s.run({ x: new ort.Tensor('float32', x, [1, 3, H, H]) });
  await s.release();
  return out.b!.data as Float32Array;
}

describe('channel equalization', () => {
  it('folds per-channel factors through ReLU and hard-swish without changing the output', async () => {
    const x = Float32Array.from({ length: 3 * H * H }, (_, i) => Math.cos(i) * 3);
    const before = await run(chain(), x);
    const g = chain();
    const groups = findGroups(g, ['relu', 'hs']);
    assert.equal(groups.length, 2);
    const absMax = new Map<string, number[]>();
    for (const t of ['a', 'relu', 'dw', 'hs']) absMax.set(t, [8, 1, 0.25, 2]);
    const result = equalizeGroups(g, groups, absMax);
    assert.equal(result.groups, 2);
    assert.equal(result.hardSwishRewritten, 1);
    assert.ok(!g.nodes.some((n) => n.op === 'HardSwish'), 'hard-swish rewritten per channel');
    const after = await run(g, x);
    before.forEach((v, i) => assert.ok(Math.abs(v - after[i]!) < 1e-4 * Math.max(1, Math.abs(v)), `output ${i}: ${v} vs ${after[i]}`));
  });

  it('refuses a group that reaches a graph output', () => {
    const g = chain();
    g.outputs = [...g.outputs, { name: 'relu', dtype: 'float32', dims: [1, C, H, H] }];
    assert.equal(findGroups(g, ['relu']).length, 0);
  });
});
