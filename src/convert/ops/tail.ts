/**
 * Shape and index ops of the decoding tail. They index TF's NHWC order, so
 * their inputs are always viewed in TF layout (a Transpose back from NCHW is
 * inserted once where the tail meets the head).
 */
import { ONNX_TYPE_CODES, int, numel } from '../onnx-ir.js';
import type { OpMapper } from './types.js';
import { attrBool, attrInt } from '../tfjs-attrs.js';
import type { TfNode } from '../tfjs-graph.js';

/** TF Reshape shape (with one -1) -> concrete dims. */
export function resolveReshape(inputShape: readonly number[], target: readonly number[], where: string): number[] {
  if (target.includes(0)) throw new Error(`${where}: a 0 in a TF reshape is a zero-size dim, not supported`);
  const known = target.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
  const total = numel(inputShape);
  const free = target.filter((d) => d === -1).length;
  if (free > 1 || (free === 0 && known !== total) || (free === 1 && total % known !== 0)) {
    throw new Error(`${where}: cannot reshape [${inputShape.join(',')}] to [${target.join(',')}]`);
  }
  return target.map((d) => (d === -1 ? total / known : d));
}

const reshape: OpMapper = (ctx, node) => {
  const x = ctx.input(node, 0);
  const shape = resolveReshape(x.shape, ctx.constInts(node, 1), `${node.op} ${node.name}`);
  const [out] = ctx.emit('Reshape', [ctx.view(x, 'TF'), ctx.int64s(`${node.name}/shape`, shape)], {}, { name: node.name });
  ctx.define(node.name, { ...x, name: out!, layout: 'TF', shape });
};

const expandDims: OpMapper = (ctx, node) => {
  const x = ctx.input(node, 0);
  const rank = x.shape.length + 1;
  const raw = ctx.constInts(node, 1)[0]!;
  const axis = raw < 0 ? raw + rank : raw;
  const shape = [...x.shape];
  shape.splice(axis, 0, 1);
  const [out] = ctx.emit('Unsqueeze', [ctx.view(x, 'TF'), ctx.int64s(`${node.name}/axes`, [axis])], {}, { name: node.name });
  ctx.define(node.name, { ...x, name: out!, layout: 'TF', shape });
};

export interface SliceSpec {
  readonly starts: number[];
  readonly ends: number[];
  readonly steps: number[];
  readonly shape: number[];
}

/** TF StridedSlice (begin/end masks, positive strides) as ONNX Slice arguments. */
export function stridedSlice(shape: readonly number[], begin: readonly number[], end: readonly number[], strides: readonly number[], beginMask: number, endMask: number): SliceSpec {
  const starts: number[] = [];
  const ends: number[] = [];
  const out: number[] = [];
  shape.forEach((dim, i) => {
    const step = strides[i] ?? 1;
    if (step <= 0) throw new Error('StridedSlice with non-positive strides is not supported');
    const s = clampIndex(beginMask & (1 << i) ? 0 : begin[i] ?? 0, dim);
    const e = clampIndex(endMask & (1 << i) ? dim : end[i] ?? dim, dim);
    starts.push(s);
    ends.push(e);
    out.push(Math.max(0, Math.ceil((e - s) / step)));
  });
  return { starts, ends, steps: shape.map((_, i) => strides[i] ?? 1), shape: out };
}

function clampIndex(i: number, dim: number): number {
  const v = i < 0 ? i + dim : i;
  return Math.min(Math.max(v, 0), dim);
}

const slice: OpMapper = (ctx, node) => {
  for (const mask of ['ellipsis_mask', 'new_axis_mask', 'shrink_axis_mask']) {
    if (attrInt(node, mask, 0) !== 0) throw new Error(`${node.op} ${node.name}: ${mask} is not supported`);
  }
  const x = ctx.input(node, 0);
  const spec = stridedSlice(x.shape, ctx.constInts(node, 1), ctx.constInts(node, 2), ctx.constInts(node, 3), attrInt(node, 'begin_mask', 0), attrInt(node, 'end_mask', 0));
  const axes = x.shape.map((_, i) => i);
  const args = [spec.starts, spec.ends, axes, spec.steps].map((v, i) => ctx.int64s(`${node.name}/${['starts', 'ends', 'axes', 'steps'][i]}`, v));
  const [out] = ctx.emit('Slice', [ctx.view(x, 'TF'), ...args], {}, { name: node.name });
  ctx.define(node.name, { ...x, name: out!, layout: 'TF', shape: spec.shape });
};

/** TopK over the last axis; ONNX gives int64 indices, cast back to TF's int32. */
const topK: OpMapper = (ctx, node) => {
  const x = ctx.input(node, 0);
  const k = ctx.constInts(node, 1)[0]!;
  const attrs = { axis: int(-1), largest: int(1), sorted: int(attrBool(node, 'sorted', true) ? 1 : 0) };
  const [values, indices] = ctx.emit('TopK', [ctx.view(x, 'TF'), ctx.int64s(`${node.name}/k`, [k])], attrs, { name: node.name, outputs: 2 });
  const shape = [...x.shape.slice(0, -1), k];
  const [idx32] = ctx.emit('Cast', [indices!], { to: int(ONNX_TYPE_CODES.int32) }, { name: `${node.name}/indices` });
  ctx.define(node.name, { name: values!, layout: 'TF', shape, dtype: x.dtype });
  ctx.define(`${node.name}:1`, { name: idx32!, layout: 'TF', shape, dtype: 'int32' });
};

const gather: OpMapper = (ctx, node) => {
  requireNoBatchDims(node);
  const params = ctx.input(node, 0);
  const indices = ctx.input(node, 1);
  const raw = ctx.constInts(node, 2)[0]!;
  const axis = raw < 0 ? raw + params.shape.length : raw;
  const [out] = ctx.emit('Gather', [ctx.view(params, 'TF'), ctx.view(indices, 'TF')], { axis: int(axis) }, { name: node.name });
  const shape = [...params.shape.slice(0, axis), ...indices.shape, ...params.shape.slice(axis + 1)];
  ctx.define(node.name, { ...params, name: out!, layout: 'TF', shape });
};

function requireNoBatchDims(node: TfNode): void {
  if (attrInt(node, 'batch_dims', 0) !== 0) throw new Error(`${node.op} ${node.name}: batch_dims is not supported`);
}

export const tailMappers: Record<string, OpMapper> = {
  Reshape: reshape,
  ExpandDims: expandDims,
  StridedSlice: slice,
  TopKV2: topK,
  GatherV2: gather,
};
