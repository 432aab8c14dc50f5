/**
 * Layout-sensitive ops on activations, mapped in NCHW with their axes moved:
 * Mean (global average over H, W -> GlobalAveragePool), ResizeBilinear,
 * ConcatV2 and MaxPool.
 */
import { nhwcAxisInNchw } from '../layout.js';
import { pads2d } from '../padding.js';
import { ints, int, str } from '../onnx-ir.js';
import type { Layout, MapContext, Ref } from '../map-context.js';
import { attrBool } from '../tfjs-attrs.js';
import type { TfNode } from '../tfjs-graph.js';
import { spatialPair, tfPadding } from './conv.js';
import type { OpMapper } from './types.js';

const mean: OpMapper = (ctx, node) => {
  const x = ctx.input(node, 0);
  const rank = x.shape.length;
  const axes = ctx.constInts(node, 1).map((a) => (a < 0 ? a + rank : a)).sort();
  const keep = attrBool(node, 'keep_dims', false);
  const shape = keep ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !axes.includes(i));
  if (x.layout === 'NCHW' && keep && axes.join() === '1,2') {
    const [out] = ctx.emit('GlobalAveragePool', [x.name], {}, { name: node.name });
    ctx.define(node.name, { ...x, name: out!, shape });
    return;
  }
  const layout: Layout = keep && rank === 4 && x.layout === 'NCHW' ? 'NCHW' : 'TF';
  const onnxAxes = layout === 'NCHW' ? axes.map(nhwcAxisInNchw) : axes;
  const out = reduceMean(ctx, node, ctx.view(x, layout), onnxAxes, keep);
  ctx.define(node.name, { ...x, name: out, layout: shape.length === 4 ? layout : 'TF', shape });
};

/** ReduceMean took axes as an attribute up to opset 17 and as an input from 18. */
function reduceMean(ctx: MapContext, node: TfNode, x: string, axes: number[], keep: boolean): string {
  const keepdims = int(keep ? 1 : 0);
  if (ctx.graph.opset >= 18) return ctx.emit('ReduceMean', [x, ctx.int64s(`${node.name}/axes`, axes)], { keepdims }, { name: node.name })[0]!;
  return ctx.emit('ReduceMean', [x], { axes: ints(axes), keepdims }, { name: node.name })[0]!;
}

/**
 * TF ResizeBilinear without align_corners / half_pixel_centers samples output
 * pixel i at input coordinate i * in / out, which is ONNX 'asymmetric'.
 */
const resizeBilinear: OpMapper = (ctx, node) => {
  const x = ctx.input(node, 0);
  const [oh, ow] = ctx.constInts(node, 1) as [number, number];
  const alignCorners = attrBool(node, 'align_corners', false);
  const halfPixel = attrBool(node, 'half_pixel_centers', false);
  const mode = alignCorners ? 'align_corners' : halfPixel ? 'half_pixel' : 'asymmetric';
  const [n, , , c] = x.shape as [number, number, number, number];
  const sizes = ctx.int64s(`${node.name}/sizes`, [n, c, oh, ow]);
  const attrs = { mode: str('linear'), coordinate_transformation_mode: str(mode) };
  const [out] = ctx.emit('Resize', [ctx.view(x, 'NCHW'), '', '', sizes], attrs, { name: node.name });
  ctx.define(node.name, { ...x, name: out!, layout: 'NCHW', shape: [n, oh, ow, c] });
};

const concat: OpMapper = (ctx, node) => {
  const names = node.inputs.slice(0, -1);
  const refs = names.map((n) => ctx.ref(n));
  const rank = refs[0]!.shape.length;
  let axis = ctx.constInts(node, node.inputs.length - 1)[0]!;
  if (axis < 0) axis += rank;
  const layout: Layout = rank === 4 && refs.some((r) => r.layout === 'NCHW') ? 'NCHW' : 'TF';
  const onnxAxis = layout === 'NCHW' ? nhwcAxisInNchw(axis) : axis;
  const [out] = ctx.emit('Concat', refs.map((r) => ctx.view(r, layout)), { axis: int(onnxAxis) }, { name: node.name });
  ctx.define(node.name, { ...refs[0]!, name: out!, layout, shape: concatShape(refs, axis) });
};

function concatShape(refs: readonly Ref[], axis: number): number[] {
  const shape = [...refs[0]!.shape];
  shape[axis] = refs.reduce((sum, r) => sum + r.shape[axis]!, 0);
  return shape;
}

/** ONNX MaxPool never lets padding win a max, like TF 'SAME'. */
const maxPool: OpMapper = (ctx, node) => {
  const x = ctx.input(node, 0);
  const kernel = spatialPair(node, 'ksize', [1, 1, 1, 1]);
  const stride = spatialPair(node, 'strides', [1, 1, 1, 1]);
  const p = pads2d(x.shape[1]!, x.shape[2]!, { kernel, stride, dilation: [1, 1] }, tfPadding(node));
  const attrs = { kernel_shape: ints(kernel), strides: ints(stride), pads: ints(p.pads) };
  const [out] = ctx.emit('MaxPool', [ctx.view(x, 'NCHW')], attrs, { name: node.name });
  ctx.define(node.name, { ...x, name: out!, layout: 'NCHW', shape: [x.shape[0]!, p.outHeight, p.outWidth, x.shape[3]!] });
};

export const spatialMappers: Record<string, OpMapper> = {
  Mean: mean,
  ResizeBilinear: resizeBilinear,
  ConcatV2: concat,
  MaxPool: maxPool,
};
