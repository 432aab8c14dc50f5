/**
 * Broadcasting binary ops. When an operand is an NCHW activation the op runs
 * in NCHW: rank-4 operands are viewed as NCHW and constants are re-laid out
 * to broadcast the way TF broadcast them against NHWC. Otherwise (the
 * decoding tail) the op runs in TF layout.
 */
import { ONNX_TYPE_CODES, int, type DataType } from '../onnx-ir.js';
import type { Layout, MapContext, Ref } from '../map-context.js';
import { attrType } from '../tfjs-attrs.js';
import type { TfNode } from '../tfjs-graph.js';
import type { OpMapper } from './types.js';

export function broadcastShapes(a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const x = a[a.length - rank + i] ?? 1;
    const y = b[b.length - rank + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) throw new Error(`shapes [${a.join(',')}] and [${b.join(',')}] do not broadcast`);
    out.push(x === 1 ? y : x);
  }
  return out;
}

/** NCHW when an input is an NCHW activation and every other input is rank 4 or a constant. */
function chooseLayout(ctx: MapContext, names: readonly string[], refs: readonly Ref[]): Layout {
  const anyNchw = refs.some((r) => r.layout === 'NCHW');
  const allFit = refs.every((r, i) => r.shape.length === 4 || ctx.isConst(names[i]!) || r.shape.length === 0);
  return anyNchw && allFit ? 'NCHW' : 'TF';
}

function operand(ctx: MapContext, name: string, ref: Ref, layout: Layout): string {
  if (layout === 'TF') return ctx.view(ref, 'TF');
  if (ref.shape.length === 4) return ctx.view(ref, 'NCHW');
  return ctx.isConst(name) ? ctx.constForNchw(name) : ref.name;
}

/** Emits binary `op` over the node's two inputs, broadcasting like TF. */
export function elementwise(ctx: MapContext, node: TfNode, op: string, outType?: DataType): Ref {
  const names = node.inputs.slice(0, 2);
  const refs = names.map((n) => ctx.ref(n));
  const layout = chooseLayout(ctx, names, refs);
  const inputs = names.map((n, i) => operand(ctx, n, refs[i]!, layout));
  const [out] = ctx.emit(op, inputs, {}, { name: node.name });
  const shape = refs.map((r) => r.shape).reduce((a, b) => broadcastShapes(a, b));
  return { name: out!, layout: layout === 'NCHW' && shape.length === 4 ? 'NCHW' : 'TF', shape, dtype: outType ?? refs[0]!.dtype };
}

function binary(op: string, outType?: DataType): OpMapper {
  return (ctx, node) => ctx.define(node.name, elementwise(ctx, node, op, outType));
}

/** TF's FloorMod on integers is ONNX Mod with fmod=0 (sign of the divisor). */
const floorMod: OpMapper = (ctx, node) => {
  const a = ctx.input(node, 0);
  requireInteger(node, a);
  const [, b] = node.inputs;
  const [out] = ctx.emit('Mod', [a.name, ctx.ref(b!).name], { fmod: int(0) }, { name: node.name });
  ctx.define(node.name, { ...a, name: out!, layout: 'TF', shape: broadcastShapes(a.shape, ctx.ref(b!).shape) });
};

/**
 * Integer FloorDiv as (a - floormod(a, b)) / b: the subtraction makes the
 * division exact, so ONNX's truncating Div gives floor for any signs.
 */
const floorDiv: OpMapper = (ctx, node) => {
  const a = ctx.input(node, 0);
  requireInteger(node, a);
  const b = ctx.ref(node.inputs[1]!);
  const [mod] = ctx.emit('Mod', [a.name, b.name], { fmod: int(0) }, { name: `${node.name}/mod` });
  const [exact] = ctx.emit('Sub', [a.name, mod!], {}, { name: `${node.name}/exact` });
  const [out] = ctx.emit('Div', [exact!, b.name], {}, { name: node.name });
  ctx.define(node.name, { ...a, name: out!, layout: 'TF', shape: broadcastShapes(a.shape, b.shape) });
};

function requireInteger(node: TfNode, x: Ref): void {
  if (x.dtype !== 'int32') throw new Error(`${node.op} ${node.name}: only int32 operands are supported, got ${x.dtype}`);
  if (x.layout !== 'TF') throw new Error(`${node.op} ${node.name}: integer ops on NCHW activations are not supported`);
}

const TF_TYPES: Record<string, DataType> = { DT_FLOAT: 'float32', DT_INT32: 'int32', DT_BOOL: 'bool', DT_INT64: 'int64' };

const cast: OpMapper = (ctx, node) => {
  const x = ctx.input(node, 0);
  const to = TF_TYPES[attrType(node, 'DstT')];
  if (!to) throw new Error(`${node.op} ${node.name}: DstT ${attrType(node, 'DstT')} not supported`);
  const [out] = ctx.emit('Cast', [x.name], { to: int(ONNX_TYPE_CODES[to]) }, { name: node.name });
  ctx.define(node.name, { ...x, name: out!, dtype: to });
};

export const elementwiseMappers: Record<string, OpMapper> = {
  Add: binary('Add'),
  AddV2: binary('Add'),
  Sub: binary('Sub'),
  Mul: binary('Mul'),
  RealDiv: binary('Div'),
  Equal: binary('Equal', 'bool'),
  FloorMod: floorMod,
  FloorDiv: floorDiv,
  Cast: cast,
};
