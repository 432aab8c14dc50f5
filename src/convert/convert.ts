/**
 * TF graph -> ONNX graph: walks the TF nodes in order (TFJS stores them
 * topologically), hands each to its op mapper, then names the graph input and
 * outputs and drops whatever no output needs.
 */
import { MapContext, type Layout } from './map-context.js';
import { prune, renameTensor, type OnnxGraph, type ValueInfo } from './onnx-ir.js';
import { NHWC_TO_NCHW_PERM } from './layout.js';
import { OP_MAPPERS } from './ops/index.js';
import { rescaleSizeConsts } from './size-consts.js';
import { attrShape } from './tfjs-attrs.js';
import type { TfGraph, TfNode } from './tfjs-graph.js';

export interface OutputSpec {
  /** TF tensor name. */
  readonly tf: string;
  /** ONNX graph output name. */
  readonly onnx: string;
  /** 'NCHW' for a rank-4 head stored channels-first, 'TF' to keep TF's layout. */
  readonly layout: Layout;
}

export interface ConvertOptions {
  /** Square input size in pixels; a multiple of 32. */
  readonly size: number;
  readonly opset: number;
  /** TF placeholder name and the ONNX input name it becomes (always NCHW). */
  readonly input: { readonly tf: string; readonly onnx: string };
  readonly outputs: readonly OutputSpec[];
  readonly producer: string;
}

export interface Converted {
  readonly graph: OnnxGraph;
  /** The size the TF graph was built for. */
  readonly sourceSize: number;
  /** Size-dependent constants rewritten for `size`, as "name: old -> new". */
  readonly rescaled: readonly string[];
}

/** Node types that produce no ONNX node. */
const SKIPPED = new Set(['Const', 'NoOp']);

export function convertGraph(tf: TfGraph, options: ConvertOptions): Converted {
  const placeholder = tf.nodes.find((n) => n.name === options.input.tf && n.op === 'Placeholder');
  if (!placeholder) throw new Error(`input placeholder ${options.input.tf} not found`);
  const sourceSize = squareSize(placeholder);
  const { graph: sized, changed } = rescaleSizeConsts(tf, sourceSize, options.size);
  const graph: OnnxGraph = {
    name: 'converted', nodes: [], initializers: new Map(), inputs: [], outputs: [], valueInfo: [],
    opset: options.opset, metadata: {}, producer: options.producer,
  };
  const ctx = new MapContext(sized, graph);
  const s = options.size;
  graph.inputs.push({ name: options.input.onnx, dtype: 'float32', dims: [1, 3, s, s] });
  ctx.define(placeholder.name, { name: options.input.onnx, layout: 'NCHW', shape: [1, s, s, 3], dtype: 'float32' });
  for (const node of sized.nodes) {
    if (SKIPPED.has(node.op) || node === placeholder) continue;
    mapNode(ctx, node);
  }
  graph.outputs = options.outputs.map((o) => bindOutput(ctx, o));
  prune(graph);
  const rescaled = [...changed].map(([name, [a, b]]) => `${name}: ${a.join(',')} -> ${b.join(',')}`);
  return { graph, sourceSize, rescaled };
}

function mapNode(ctx: MapContext, node: TfNode): void {
  const mapper = OP_MAPPERS.get(node.op);
  if (!mapper) throw new Error(`op ${node.op} (node ${node.name}) is not supported by the converter`);
  mapper(ctx, node);
}

function squareSize(placeholder: TfNode): number {
  const shape = attrShape(placeholder, 'shape');
  const [, h, w, c] = shape;
  if (shape.length !== 4 || h !== w || c !== 3 || !(h! > 0)) {
    throw new Error(`input ${placeholder.name} shape [${shape.join(',')}] is not [1, S, S, 3]`);
  }
  return h!;
}

/** Gives the output tensor its public name (no Identity node) and declares its shape. */
function bindOutput(ctx: MapContext, spec: OutputSpec): ValueInfo {
  const ref = ctx.ref(spec.tf);
  const layout: Layout = ref.shape.length === 4 ? spec.layout : 'TF';
  const name = ctx.view(ref, layout);
  if (ctx.graph.initializers.has(name) || ctx.graph.inputs.some((i) => i.name === name)) {
    throw new Error(`output ${spec.tf} is a constant or the input: not supported`);
  }
  renameTensor(ctx.graph, name, spec.onnx);
  const dims = layout === 'NCHW' ? NHWC_TO_NCHW_PERM.map((p) => ref.shape[p]!) : [...ref.shape];
  return { name: spec.onnx, dtype: ref.dtype, dims };
}
