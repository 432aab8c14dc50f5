/**
 * Rewrites an fp32 graph into QDQ form: each planned activation t becomes
 * t -> QuantizeLinear -> DequantizeLinear -> (every former consumer of t),
 * and each planned Conv reads int8 per-channel weights and an int32 bias
 * through DequantizeLinear (axis 0). ORT fuses DQ -> Conv -> Q into
 * QLinearConv, DQ DQ -> Add -> Q into QLinearAdd, and so on; what it cannot
 * fuse still computes the right thing in float.
 */
import { floatTensor, int, int32Tensor, int8Tensor, uint8Tensor, type OnnxGraph, type OnnxNode, type Tensor } from './onnx-ir.js';
import type { Range } from './quantize-calibrate.js';
import { activationParams, quantizeBias, quantizeWeights, type ActivationType, type ChannelQuant, type QParams } from './quantize-params.js';
import type { QuantPlan } from './quantize-plan.js';

export interface QdqResult {
  readonly activations: number;
  readonly convs: number;
  /** Per-tensor parameters, for the log and the manifest summary. */
  readonly params: ReadonlyMap<string, QParams>;
}

/** `weights`: int8 weights chosen elsewhere (GPTQ), by conv name; other convs round to nearest. */
export function applyQdq(graph: OnnxGraph, plan: QuantPlan, ranges: ReadonlyMap<string, Range>, type: ActivationType, weights: ReadonlyMap<string, ChannelQuant> = new Map()): QdqResult {
  const params = activationTable(plan, ranges, type);
  const qdqPair = (t: string, p: QParams, source?: string) => qdqNodes(graph, t, p, type, source);
  const weightNodes = new Map<OnnxNode, OnnxNode[]>();
  for (const conv of plan.convs) weightNodes.set(conv, quantizeConvWeights(graph, conv, params.get(conv.inputs[0]!)!, weights.get(conv.name)));
  const nodes: OnnxNode[] = [];
  const inputs = new Set(graph.inputs.map((i) => i.name));
  for (const t of plan.tensors) if (inputs.has(t)) nodes.push(...qdqPair(t, params.get(t)!));
  const dropped = new Set(plan.absorbed.keys());
  const absorbing = new Map([...plan.absorbed].map(([act, pre]) => [pre, act]));
  for (const n of graph.nodes) {
    if (n.outputs.some((o) => dropped.has(o))) continue;
    nodes.push(...(weightNodes.get(n) ?? []), n);
    for (const o of n.outputs) {
      const t = absorbing.get(o) ?? o;
      if (plan.tensors.has(t)) nodes.push(...qdqPair(t, params.get(t)!, o));
    }
  }
  rewire(nodes, plan.tensors);
  graph.nodes = nodes;
  return { activations: plan.tensors.size, convs: plan.convs.size, params };
}

function activationTable(plan: QuantPlan, ranges: ReadonlyMap<string, Range>, type: ActivationType): Map<string, QParams> {
  const params = new Map<string, QParams>();
  for (const t of plan.tensors) {
    if (plan.shared.has(t)) continue;
    const r = ranges.get(t);
    if (!r) throw new Error(`no calibration range for ${t}`);
    const b = plan.bounds.get(t);
    params.set(t, activationParams(b ? Math.max(r.min, b.min) : r.min, b ? Math.min(r.max, b.max) : r.max, type));
  }
  for (const [t, source] of plan.shared) {
    const p = params.get(source);
    if (!p) throw new Error(`${t} shares the parameters of ${source}, which is not quantized`);
    params.set(t, p);
  }
  return params;
}

/** Q/DQ for tensor t; the Q reads `source` (t itself, or the input of an absorbed activation). */
function qdqNodes(graph: OnnxGraph, t: string, p: QParams, type: ActivationType, source = t): OnnxNode[] {
  const scale = addInit(graph, `${t}/scale`, floatTensor([p.scale], []));
  const zp = type === 'uint8' ? uint8Tensor(Uint8Array.of(p.zeroPoint), []) : int8Tensor(Int8Array.of(p.zeroPoint), []);
  const zero = addInit(graph, `${t}/zero_point`, zp);
  return [
    { name: `${t}/Q`, op: 'QuantizeLinear', domain: '', inputs: [source, scale, zero], outputs: [`${t}/q`], attrs: {} },
    { name: `${t}/DQ`, op: 'DequantizeLinear', domain: '', inputs: [`${t}/q`, scale, zero], outputs: [`${t}/dq`], attrs: {} },
  ];
}

/** Consumers of a quantized tensor read its dequantized twin; its own Q keeps the original. */
function rewire(nodes: OnnxNode[], tensors: ReadonlySet<string>): void {
  for (const n of nodes) {
    if (n.op === 'QuantizeLinear' && n.name.endsWith('/Q') && n.outputs[0] === `${n.name.slice(0, -2)}/q`) continue;
    n.inputs = n.inputs.map((i) => (tensors.has(i) ? `${i}/dq` : i));
  }
}

/** Replaces the Conv's float W (and B) by int8 (int32) initializers read through DequantizeLinear. */
function quantizeConvWeights(graph: OnnxGraph, conv: OnnxNode, input: QParams, chosen: ChannelQuant | undefined): OnnxNode[] {
  const [, wName, bName] = conv.inputs;
  const w = floatInit(graph, wName!);
  const channels = w.dims[0]!;
  const q = chosen ?? quantizeWeights(w.data as Float32Array, channels);
  if (q.data.length !== w.data.length || q.scales.length !== channels) throw new Error(`conv ${conv.name}: chosen int8 weights do not fit ${w.dims.join('x')}`);
  const nodes = [dequantize(graph, wName!, int8Tensor(q.data, w.dims), q.scales, int8Tensor(new Int8Array(channels), [channels]))];
  if (bName) {
    const b = quantizeBias(floatInit(graph, bName).data as Float32Array, input.scale, q.scales);
    nodes.push(dequantize(graph, bName, int32Tensor(b.data, [channels]), b.scales, int32Tensor(new Int32Array(channels), [channels])));
  }
  conv.inputs = [conv.inputs[0]!, `${wName}/dq`, ...(bName ? [`${bName}/dq`] : [])];
  return nodes;
}

function dequantize(graph: OnnxGraph, name: string, data: Tensor, scales: Float32Array, zero: Tensor): OnnxNode {
  graph.initializers.delete(name);
  const q = addInit(graph, `${name}/quantized`, data);
  const s = addInit(graph, `${name}/scale`, floatTensor(scales, [scales.length]));
  const z = addInit(graph, `${name}/zero_point`, zero);
  return { name: `${name}/DQ`, op: 'DequantizeLinear', domain: '', inputs: [q, s, z], outputs: [`${name}/dq`], attrs: { axis: int(0) } };
}

function floatInit(graph: OnnxGraph, name: string): Tensor {
  const t = graph.initializers.get(name);
  if (!t || t.dtype !== 'float32') throw new Error(`${name} is not a float32 initializer`);
  return t;
}

function addInit(graph: OnnxGraph, name: string, t: Tensor): string {
  if (graph.initializers.has(name)) throw new Error(`initializer ${name} already exists`);
  graph.initializers.set(name, t);
  return name;
}
