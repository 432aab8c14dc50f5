/**
 * Which tensors get 8-bit QDQ pairs. Only the part of the graph that feeds the
 * raw heads is quantized; the decoding tail (peak MaxPool, TopK, gather) and
 * the two head output convs stay float: 8-bit class logits tie neighbouring
 * cells, and every tie is a duplicate peak (measured: quantizing them gave
 * 976 detections where fp32 has 652, agreement 53 %).
 *
 * Quantizable ops (QUANTIZABLE_OPS): Conv (except on [1, C, 1, 1] inputs),
 * Add of two activations (residuals), Mul of a map by a [1, C, 1, 1] gate,
 * Concat, Resize. Their activation inputs are quantized;
 * their output is quantized when it flows (through float ops such as
 * HardSwish) into another quantizable op. A ReLU or Clip(0, 6) that is the
 * only consumer of an op is quantized in its place and then removed: with
 * the zero point at the bottom of the range (and a top <= 6 for Clip) the
 * 8-bit range itself does the clipping, so the conv fuses into QLinearConv
 * without relying on ORT's own ReluQuantFusion / ClipQuantFusion.
 */
import { consumers, dimsOf, producers, type OnnxGraph, type OnnxNode } from './onnx-ir.js';

export interface QuantPlan {
  /** Activation tensors to calibrate and quantize per tensor. */
  readonly tensors: ReadonlySet<string>;
  /** Tensors known to be >= 0 (ReLU / Clip outputs) and, for Clip, <= 6. */
  readonly bounds: ReadonlyMap<string, { readonly min: number; readonly max: number }>;
  /**
   * ReLU / Clip nodes made redundant by the 8-bit range of their output
   * (zero point at the bottom, top <= the clip): activation output -> the tensor it
   * reads. The QDQ pass drops them and quantizes that tensor instead.
   */
  readonly absorbed: ReadonlyMap<string, string>;
  /** Output -> input whose parameters it reuses (Resize: int8 in, same int8 out). */
  readonly shared: ReadonlyMap<string, string>;
  /** Convs whose weights become per-channel int8 (input and output both quantized). */
  readonly convs: ReadonlySet<OnnxNode>;
}

/**
 * Quantized by default. The squeeze-excite branch stays float: its
 * GlobalAveragePool and two 1x1 convs on [1, C, 1, 1] cost almost nothing,
 * but in int8 the per-channel gate came out 20-90 % off and scaled whole
 * feature maps with that error (measured: detection agreement 65 % -> 78 %
 * with it float). The gating Mul itself is int8 (gate in [0, 1] quantizes
 * well; same agreement, one pass less). 'GlobalAveragePool' can be asked for.
 */
export const QUANTIZABLE_OPS: readonly string[] = ['Conv', 'Add', 'Mul', 'Concat', 'Resize'];
const SHARES_INPUT_PARAMS = new Set(['Resize']);

export function planQuantization(graph: OnnxGraph, heads: readonly string[], ops: readonly string[] = QUANTIZABLE_OPS, keepFloat: (n: OnnxNode) => boolean = () => false): QuantPlan {
  const quantizable = new Set(ops);
  const made = producers(graph);
  const uses = consumers(graph);
  const region = upstreamOf(graph, heads, made);
  const isActivation = (t: string) => t !== '' && !graph.initializers.has(t);
  const qops = graph.nodes.filter((n) => region.has(n) && quantizable.has(n.op) && !keepFloat(n) && isQuantizable(graph, n, isActivation) && !heads.includes(n.outputs[0]!));
  const qopSet = new Set(qops);
  const tensors = new Set<string>();
  const bounds = new Map<string, { min: number; max: number }>();
  const shared = new Map<string, string>();
  const absorbed = new Map<string, string>();
  const outputOf = new Map<OnnxNode, string | undefined>();
  for (const n of qops) {
    for (const t of activationInputs(n)) if (isActivation(t)) tensors.add(t);
    const out = effectiveOutput(graph, n, uses, bounds);
    const quantized = reachesQuantizable(out, uses, qopSet, region) ? out : undefined;
    outputOf.set(n, quantized);
    if (quantized) tensors.add(quantized);
    if (quantized && quantized !== n.outputs[0]) absorbed.set(quantized, n.outputs[0]!);
    if (quantized && SHARES_INPUT_PARAMS.has(n.op)) shared.set(quantized, n.inputs[0]!);
  }
  const convs = new Set(qops.filter((n) => n.op === 'Conv' && tensors.has(n.inputs[0]!) && outputOf.get(n) !== undefined));
  return { tensors, bounds, absorbed, shared, convs };
}

function isQuantizable(graph: OnnxGraph, n: OnnxNode, isActivation: (t: string) => boolean): boolean {
  if (n.domain !== '') return false;
  if (n.op === 'Conv') return !isGate(graph, n.inputs[0]!);
  if (n.op === 'Add') return n.inputs.filter(isActivation).length === 2;
  // Mul: only gating (a map times a per-channel [1, C, 1, 1] gate), not the halves of a hard-swish.
  if (n.op === 'Mul') return n.inputs.filter(isActivation).length === 2 && n.inputs.some((i) => isGate(graph, i));
  return true;
}

function isGate(graph: OnnxGraph, t: string): boolean {
  const d = dimsOf(graph, t);
  return d !== undefined && d.length === 4 && d[2] === 1 && d[3] === 1;
}

/** Data inputs: Conv's weights/bias and Resize's roi/scales/sizes are not activations. */
function activationInputs(n: OnnxNode): string[] {
  return n.op === 'Conv' || n.op === 'Resize' ? [n.inputs[0]!] : n.inputs;
}

/** The op's output, or that of a ReLU / Clip(0, 6) that is its only consumer (recording its bounds). */
function effectiveOutput(graph: OnnxGraph, n: OnnxNode, uses: Map<string, OnnxNode[]>, bounds: Map<string, { min: number; max: number }>): string {
  const out = n.outputs[0]!;
  const next = uses.get(out);
  if (next?.length !== 1 || graph.outputs.some((o) => o.name === out)) return out;
  const act = next[0]!;
  if (act.op === 'Relu') {
    bounds.set(act.outputs[0]!, { min: 0, max: Infinity });
    return act.outputs[0]!;
  }
  if (act.op === 'Clip' && scalar(graph, act.inputs[1]) === 0 && scalar(graph, act.inputs[2]) !== undefined) {
    bounds.set(act.outputs[0]!, { min: 0, max: scalar(graph, act.inputs[2])! });
    return act.outputs[0]!;
  }
  return out;
}

/** Whether `tensor` flows, through non-quantizable ops inside the region, into a quantizable op. */
function reachesQuantizable(tensor: string, uses: Map<string, OnnxNode[]>, qops: Set<OnnxNode>, region: Set<OnnxNode>): boolean {
  const seen = new Set<string>();
  const stack = [tensor];
  while (stack.length > 0) {
    const t = stack.pop()!;
    if (seen.has(t)) continue;
    seen.add(t);
    for (const n of uses.get(t) ?? []) {
      if (qops.has(n)) return true;
      if (region.has(n)) stack.push(...n.outputs);
    }
  }
  return false;
}

/** Nodes the given tensors depend on (the backbone and head, not the decoding tail). */
function upstreamOf(graph: OnnxGraph, tensors: readonly string[], made: Map<string, OnnxNode>): Set<OnnxNode> {
  const region = new Set<OnnxNode>();
  const stack = [...tensors];
  while (stack.length > 0) {
    const n = made.get(stack.pop()!);
    if (!n || region.has(n)) continue;
    region.add(n);
    stack.push(...n.inputs.filter((i) => i !== ''));
  }
  return region;
}

function scalar(graph: OnnxGraph, name: string | undefined): number | undefined {
  const t = name === undefined ? undefined : graph.initializers.get(name);
  return t && t.data.length === 1 && t.dtype === 'float32' ? (t.data[0] as number) : undefined;
}

/**
 * Ops whose first input is a map at `stride` or finer (height >= image height
 * / stride), to keep float. At stride 2 this network's maps are 16 to 64
 * channels wide: int8 saves little there (one timing sweep, 1 thread: the
 * whole model 38-39 ms with them float, 44 ms with them int8; single runs on
 * this VM swing by 10 %), and their 8-bit activations cost the most agreement (measured with
 * GPTQ weights, 80 held-out inputs: person inputs agreeing up to threshold
 * 88.8 % with them int8, 98.8-100 % with them float).
 */
export function readsFineMaps(graph: OnnxGraph, stride: number): (n: OnnxNode) => boolean {
  const image = graph.inputs[0]?.dims;
  const side = image?.length === 4 ? image[2]! : undefined;
  if (side === undefined || !(side > 0)) throw new Error('the model input has no fixed NCHW shape: cannot tell map strides');
  return (n) => {
    const d = n.inputs[0] ? dimsOf(graph, n.inputs[0]) : undefined;
    return d !== undefined && d.length === 4 && d[2]! * stride >= side;
  };
}
