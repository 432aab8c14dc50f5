/**
 * Empirical bias correction (after Nagel et al., "Data-Free Quantization",
 * 2019, done with data): int8 rounding and clipping shift the mean of many
 * conv outputs (measured: 20-65 % of the output error of the stride-8 blocks
 * is a per-channel offset). Walking the convs in graph order, in chunks, the
 * quantized graph's per-channel outputs are compared with the float graph's
 * on calibration inputs and the mean difference is taken off the bias, so
 * later chunks are measured with the earlier ones already corrected.
 */
import type { Tensor } from 'onnxruntime-node';
import { activationFloors } from './activation-floors.js';
import type { Floors } from './quantize-calibrate.js';
import type { ModelInput } from './frames.js';
import { encodeModel } from './onnx-codec.js';
import { floatTensor, int32Tensor, producers, prune, type OnnxGraph, type OnnxNode } from './onnx-ir.js';
import { feedsFor, openSession } from './ort-session.js';

/**
 * Convs corrected per measurement pass. 1: each conv is measured with every
 * conv before it already corrected (measured: chunks of 12 over-correct,
 * because a conv's shift is partly inherited from the convs just before it).
 */
const CHUNK = 1;

export interface BiasCorrection {
  readonly convs: number;
  readonly passes: number;
  /** Largest |mean shift| removed, in output units. */
  readonly largestShift: number;
}

export async function correctBiases(float: OnnxGraph, quantized: OnnxGraph, inputs: readonly ModelInput[], threads: number, progress: (done: number, total: number) => void = () => {}): Promise<BiasCorrection> {
  const convs = quantized.nodes.filter((n) => n.op === 'Conv');
  const floors = activationFloors(float);
  let largestShift = 0;
  let passes = 0;
  for (let start = 0; start < convs.length; start += CHUNK) {
    const chunk = convs.slice(start, start + CHUNK);
    const shifts = await meanShifts(float, quantized, chunk.map((c) => c.outputs[0]!), inputs, threads, floors);
    passes++;
    for (const conv of chunk) {
      const shift = shifts.get(conv.outputs[0]!)!;
      largestShift = Math.max(largestShift, ...shift.map(Math.abs));
      subtractFromBias(quantized, conv, shift);
    }
    progress(Math.min(start + CHUNK, convs.length), convs.length);
  }
  return { convs: convs.length, passes, largestShift };
}

/** Only what the named tensors need: an early conv runs a fraction of the network. */
function probe(graph: OnnxGraph, names: readonly string[]): Uint8Array {
  const cut: OnnxGraph = { ...graph, nodes: [...graph.nodes], initializers: new Map(graph.initializers), outputs: names.map((name) => ({ name, dtype: 'float32' as const, dims: undefined })) };
  prune(cut);
  return encodeModel(cut);
}

/**
 * Per-channel mean of (quantized - float) for each named conv output, over
 * the positions where the float value is above the activation's floor: below
 * it ReLU / hard-swish flatten any difference, and counting those positions
 * would "correct" errors that never reach the next layer.
 */
async function meanShifts(float: OnnxGraph, quantized: OnnxGraph, names: readonly string[], inputs: readonly ModelInput[], threads: number, floors: Floors): Promise<Map<string, Float64Array>> {
  const [a, b] = await Promise.all([probe(float, names), probe(quantized, names)].map((m) => openSession(m, { threads, optimization: 'basic' })));
  const sums = new Map<string, { diff: Float64Array; count: Float64Array }>();
  try {
    for (const input of inputs) {
      const feeds = feedsFor(input);
      const [ra, rb] = [await a!.run(feeds, [...names]), await b!.run(feeds, [...names])];
      for (const name of names) accumulateShift(sums, name, ra[name]!, rb[name]!, floors.get(name));
    }
  } finally {
    await Promise.all([a!.release(), b!.release()]);
  }
  return new Map([...sums].map(([name, s]) => [name, s.diff.map((d, c) => (s.count[c]! > 0 ? d / s.count[c]! : 0))]));
}

function accumulateShift(sums: Map<string, { diff: Float64Array; count: Float64Array }>, name: string, fa: Tensor, qa: Tensor, floor: Float32Array | undefined): void {
  const [, channels = 1, h = 1, w = 1] = fa.dims;
  const f = fa.data as Float32Array;
  const q = qa.data as Float32Array;
  const s = sums.get(name) ?? { diff: new Float64Array(channels), count: new Float64Array(channels) };
  sums.set(name, s);
  const plane = h * w;
  for (let c = 0; c < channels; c++) {
    const lo = floor ? floor[floor.length === 1 ? 0 : c]! : -Infinity;
    let d = 0;
    let n = 0;
    for (let i = c * plane; i < (c + 1) * plane; i++) {
      if (f[i]! <= lo) continue;
      d += q[i]! - f[i]!;
      n++;
    }
    s.diff[c]! += d;
    s.count[c]! += n;
  }
}

/** b -= shift, in whatever form the conv reads its bias (float, or int32 through DequantizeLinear). */
function subtractFromBias(graph: OnnxGraph, conv: OnnxNode, shift: Float64Array): void {
  const b = conv.inputs[2];
  if (!b) {
    addBias(graph, conv, shift);
    return;
  }
  const init = graph.initializers.get(b);
  if (init) {
    graph.initializers.set(b, floatTensor(Float32Array.from(init.data as Float32Array, (v, c) => v - shift[c]!), init.dims));
    return;
  }
  const dq = producers(graph).get(b);
  if (dq?.op !== 'DequantizeLinear') throw new Error(`conv ${conv.name}: bias ${b} is neither an initializer nor dequantized`);
  const [q, s] = dq.inputs.map((i) => graph.initializers.get(i));
  if (!q || !s || q.dtype !== 'int32') throw new Error(`conv ${conv.name}: quantized bias ${b} is not int32 with scales`);
  const data = Int32Array.from(q.data as Int32Array, (v, c) => v - Math.round(shift[c]! / (s.data[c] as number)));
  graph.initializers.set(dq.inputs[0]!, int32Tensor(data, q.dims));
}

/** A conv without a bias gets one: int32 through DequantizeLinear when its input and weights are quantized (so ORT still fuses it into QLinearConv), else float. */
function addBias(graph: OnnxGraph, conv: OnnxNode, shift: Float64Array): void {
  const name = `${conv.name}/bias_correction`;
  const biasScales = biasScaleFor(graph, conv);
  if (biasScales) {
    const [qName, sName, zName] = [`${name}/quantized`, `${name}/scale`, `${name}/zero_point`];
    graph.initializers.set(qName, int32Tensor(Int32Array.from(shift, (v, c) => -Math.round(v / biasScales[c]!)), [shift.length]));
    graph.initializers.set(sName, floatTensor(biasScales, [shift.length]));
    graph.initializers.set(zName, int32Tensor(new Int32Array(shift.length), [shift.length]));
    const at = graph.nodes.indexOf(conv);
    graph.nodes.splice(at, 0, { name: `${name}/DQ`, op: 'DequantizeLinear', domain: '', inputs: [qName, sName, zName], outputs: [`${name}/dq`], attrs: { axis: { type: 'int', value: 0 } } });
    conv.inputs = [conv.inputs[0]!, conv.inputs[1]!, `${name}/dq`];
    return;
  }
  graph.initializers.set(name, floatTensor(Float32Array.from(shift, (v) => -v), [shift.length]));
  conv.inputs = [conv.inputs[0]!, conv.inputs[1]!, name];
}

/** input scale x per-channel weight scale, when both the conv's input and weights are dequantized. */
function biasScaleFor(graph: OnnxGraph, conv: OnnxNode): Float32Array | undefined {
  const made = producers(graph);
  const x = made.get(conv.inputs[0]!);
  const w = made.get(conv.inputs[1]!);
  if (x?.op !== 'DequantizeLinear' || w?.op !== 'DequantizeLinear') return undefined;
  const xs = graph.initializers.get(x.inputs[1]!)?.data[0] as number | undefined;
  const ws = graph.initializers.get(w.inputs[1]!)?.data as Float32Array | undefined;
  return xs === undefined || !ws ? undefined : Float32Array.from(ws, (v) => Math.fround(v * xs));
}
