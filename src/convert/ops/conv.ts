/**
 * Conv2D, DepthwiseConv2dNative and their grappler-fused forms
 * (_FusedConv2D / FusedDepthwiseConv2dNative with fused_ops [BiasAdd(, act)])
 * -> ONNX Conv in NCHW with explicit pads, plus the activation.
 */
import { depthwiseToOihw, hwioToOihw } from '../layout.js';
import { pads2d, type TfPadding } from '../padding.js';
import { floatTensor, ints, int } from '../onnx-ir.js';
import type { MapContext } from '../map-context.js';
import { attrInts, attrString, attrStrings } from '../tfjs-attrs.js';
import type { TfNode } from '../tfjs-graph.js';
import { activation } from './activation.js';
import type { OpMapper } from './types.js';

interface FusedOps {
  readonly bias: boolean;
  readonly activation: string | undefined;
}

function fusedOps(node: TfNode): FusedOps {
  const ops = attrStrings(node, 'fused_ops');
  if (ops.length === 0) return { bias: false, activation: undefined };
  if (ops[0] !== 'BiasAdd' || ops.length > 2) {
    throw new Error(`${node.op} ${node.name}: fused_ops [${ops.join(',')}] not supported (only BiasAdd then one activation)`);
  }
  return { bias: true, activation: ops[1] };
}

export function tfPadding(node: TfNode): TfPadding {
  const p = attrString(node, 'padding');
  if (p !== 'SAME' && p !== 'VALID') throw new Error(`${node.op} ${node.name}: padding ${p} not supported`);
  return p;
}

/** [1, a, b, 1] NHWC window attribute -> [a, b]. */
export function spatialPair(node: TfNode, key: string, fallback: number[]): [number, number] {
  const v = attrInts(node, key, fallback);
  if (v.length !== 4 || v[0] !== 1 || v[3] !== 1) throw new Error(`${node.op} ${node.name}: ${key} [${v.join(',')}] must be [1, h, w, 1]`);
  return [v[1]!, v[2]!];
}

function checkNhwc(node: TfNode): void {
  const format = attrString(node, 'data_format', 'NHWC');
  if (format !== 'NHWC') throw new Error(`${node.op} ${node.name}: data_format ${format} not supported`);
}

function convMapper(depthwise: boolean): OpMapper {
  return (ctx, node) => {
    checkNhwc(node);
    const x = ctx.input(node, 0);
    const filter = ctx.constOf(node, 1);
    const w = depthwise ? depthwiseToOihw(filter.data as Float32Array, filter.shape) : hwioToOihw(filter.data as Float32Array, filter.shape);
    const [outC, , kh, kw] = w.dims as [number, number, number, number];
    const inC = x.shape[3]!;
    const stride = spatialPair(node, 'strides', [1, 1, 1, 1]);
    const dilation = spatialPair(node, 'dilations', [1, 1, 1, 1]);
    const p = pads2d(x.shape[1]!, x.shape[2]!, { kernel: [kh, kw], stride, dilation }, tfPadding(node));
    const fused = fusedOps(node);
    const inputs = [ctx.view(x, 'NCHW'), ctx.initializer(`${node.name}/W`, floatTensor(w.data, w.dims))];
    if (fused.bias) inputs.push(biasInput(ctx, node, outC));
    const attrs = { kernel_shape: ints([kh, kw]), strides: ints(stride), dilations: ints(dilation), pads: ints(p.pads), group: int(depthwise ? inC : 1) };
    const [out] = ctx.emit('Conv', inputs, attrs, { name: node.name });
    const conv = { name: out!, layout: 'NCHW' as const, shape: [x.shape[0]!, p.outHeight, p.outWidth, outC], dtype: 'float32' as const };
    ctx.declare(conv);
    ctx.define(node.name, fused.activation ? activation(ctx, fused.activation, conv, `${node.name}/${fused.activation}`, node) : conv);
  };
}

function biasInput(ctx: MapContext, node: TfNode, outC: number): string {
  const b = ctx.constOf(node, 2);
  if (b.data.length !== outC) throw new Error(`${node.op} ${node.name}: bias has ${b.data.length} values for ${outC} channels`);
  return ctx.initializer(`${node.name}/B`, floatTensor(b.data as Float32Array, [outC]));
}

export const convMappers: Record<string, OpMapper> = {
  Conv2D: convMapper(false),
  _FusedConv2D: convMapper(false),
  DepthwiseConv2dNative: convMapper(true),
  FusedDepthwiseConv2dNative: convMapper(true),
};
