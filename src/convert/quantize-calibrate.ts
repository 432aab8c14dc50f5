/**
 * Static calibration: the fp32 model runs in ORT with the tensors to quantize
 * exposed as extra outputs, over real inputs. Pass 1 finds each tensor's
 * min/max; for 'percentile', pass 2 fills a histogram over that range and
 * clips each tail at (100 - p) % of the values, so one hot pixel in 120
 * frames does not stretch the scale for everything else.
 */
import type { InferenceSession } from 'onnxruntime-node';
import { encodeModel } from './onnx-codec.js';
import type { OnnxGraph } from './onnx-ir.js';
import type { ModelInput } from './frames.js';
import { feedsFor, openSession } from './ort-session.js';

export type CalibrationMethod =
  | { readonly kind: 'minmax' }
  | { readonly kind: 'percentile'; readonly percentile: number }
  /** The range minimising expected squared error (rounding inside, clipping outside) over the histogram. */
  | { readonly kind: 'mse' };

export interface Range {
  readonly min: number;
  readonly max: number;
}

/** Histogram resolution for the percentile pass. */
const BINS = 2048;

/** Tensor -> lowest value that matters, per channel (or one for all); smaller values are counted as it. */
export type Floors = ReadonlyMap<string, Float32Array>;

export async function calibrate(graph: OnnxGraph, tensors: ReadonlySet<string>, inputs: readonly ModelInput[], method: CalibrationMethod, threads: number, floors: Floors = new Map()): Promise<Map<string, Range>> {
  const names = [...tensors];
  const probe: OnnxGraph = { ...graph, outputs: [...graph.outputs, ...names.filter((n) => !graph.outputs.some((o) => o.name === n)).map((name) => ({ name, dtype: 'float32' as const, dims: undefined }))] };
  const session = await openSession(encodeModel(probe), { threads, optimization: 'basic' });
  try {
    const extremes = await minMaxPass(session, names, inputs, floors);
    if (method.kind === 'minmax') return extremes;
    const hist = await histogramPass(session, names, inputs, extremes, floors);
    const pick = method.kind === 'mse' ? (b: Float64Array, r: Range) => mseRange(b, r) : (b: Float64Array, r: Range) => clipTails(b, r, (100 - method.percentile) / 100);
    return new Map(names.map((n) => [n, pick(hist.get(n)!, extremes.get(n)!)]));
  } finally {
    await session.release();
  }
}

/** The tensor's values with everything below its floor raised to the floor. */
function floored(out: Record<string, Float32Array>, dims: Record<string, readonly number[]>, name: string, floors: Floors): Float32Array {
  const data = out[name]!;
  const floor = floors.get(name);
  if (!floor) return data;
  const [, channels = 1, h = 1, w = 1] = dims[name]!;
  const plane = h * w;
  const raised = new Float32Array(data.length);
  for (let c = 0; c < channels; c++) {
    const f = floor[floor.length === 1 ? 0 : c]!;
    for (let i = c * plane; i < (c + 1) * plane; i++) raised[i] = data[i]! < f ? f : data[i]!;
  }
  return raised;
}

async function runNamed(session: InferenceSession, input: ModelInput, names: readonly string[]): Promise<{ out: Record<string, Float32Array>; dims: Record<string, readonly number[]> }> {
  const result = await session.run(feedsFor(input), [...names]);
  const out: Record<string, Float32Array> = {};
  const dims: Record<string, readonly number[]> = {};
  for (const n of names) {
    out[n] = result[n]!.data as Float32Array;
    dims[n] = result[n]!.dims;
  }
  return { out, dims };
}

async function minMaxPass(session: InferenceSession, names: readonly string[], inputs: readonly ModelInput[], floors: Floors): Promise<Map<string, Range>> {
  const ranges = new Map<string, { min: number; max: number }>(names.map((n) => [n, { min: Infinity, max: -Infinity }]));
  for (const input of inputs) {
    const { out, dims } = await runNamed(session, input, names);
    for (const name of names) {
      const r = ranges.get(name)!;
      const data = floored(out, dims, name, floors);
      for (let i = 0; i < data.length; i++) {
        const v = data[i]!;
        if (v < r.min) r.min = v;
        if (v > r.max) r.max = v;
      }
    }
  }
  return ranges;
}

async function histogramPass(session: InferenceSession, names: readonly string[], inputs: readonly ModelInput[], extremes: Map<string, Range>, floors: Floors): Promise<Map<string, Float64Array>> {
  const hist = new Map(names.map((n) => [n, new Float64Array(BINS)]));
  for (const input of inputs) {
    const { out, dims } = await runNamed(session, input, names);
    for (const name of names) accumulate(hist.get(name)!, floored(out, dims, name, floors), extremes.get(name)!);
  }
  return hist;
}

function accumulate(bins: Float64Array, data: Float32Array, r: Range): void {
  const width = r.max - r.min;
  if (!(width > 0)) {
    bins[0]! += data.length;
    return;
  }
  const k = BINS / width;
  for (let i = 0; i < data.length; i++) {
    const b = Math.min(BINS - 1, Math.floor((data[i]! - r.min) * k));
    bins[b]! += 1;
  }
}

/** The range left after dropping `tail` of the mass from each end (bin edges, conservative). */
export function clipTails(bins: Float64Array, r: Range, tail: number): Range {
  const total = bins.reduce((a, b) => a + b, 0);
  const width = (r.max - r.min) / bins.length;
  if (total === 0 || !(width > 0)) return r;
  const cut = total * tail;
  let lo = 0;
  for (let acc = 0; lo < bins.length - 1 && acc + bins[lo]! <= cut; lo++) acc += bins[lo]!;
  let hi = bins.length - 1;
  for (let acc = 0; hi > lo && acc + bins[hi]! <= cut; hi--) acc += bins[hi]!;
  return { min: r.min + lo * width, max: r.min + (hi + 1) * width };
}

/** Per-channel max |x| of rank-4 NCHW tensors over the inputs (for channel equalization). */
export async function channelAbsMax(graph: OnnxGraph, tensors: readonly string[], inputs: readonly ModelInput[], threads: number, floors: Floors = new Map()): Promise<Map<string, Float64Array>> {
  const probe: OnnxGraph = { ...graph, outputs: [...graph.outputs, ...tensors.map((name) => ({ name, dtype: 'float32' as const, dims: undefined }))] };
  const session = await openSession(encodeModel(probe), { threads, optimization: 'basic' });
  const result = new Map<string, Float64Array>();
  try {
    for (const input of inputs) {
      const { out, dims } = await runNamed(session, input, tensors);
      for (const name of tensors) {
        const [, channels, h, w] = dims[name] as [number, number, number, number];
        const acc = result.get(name) ?? new Float64Array(channels);
        result.set(name, acc);
        const data = floored(out, dims, name, floors);
        const plane = h * w;
        for (let c = 0; c < channels; c++) {
          let m = acc[c]!;
          for (let i = c * plane; i < (c + 1) * plane; i++) m = Math.max(m, Math.abs(data[i]!));
          acc[c] = m;
        }
      }
    }
  } finally {
    await session.release();
  }
  return result;
}

/** Candidate clip points per side for the MSE search (each a bin edge). */
const MSE_STEPS = 96;
/** 8-bit: 255 steps between the range ends. */
const LEVELS = 255;

/**
 * The [lo, hi] (bin edges, lo <= 0 <= hi kept) minimising expected squared
 * error: step^2 / 12 per value inside, (x - edge)^2 per value clipped.
 * Prefix sums make each candidate O(1). Bin centres stand for their values.
 */
export function mseRange(bins: Float64Array, r: Range): Range {
  const n = bins.length;
  const width = (r.max - r.min) / n;
  if (!(width > 0)) return r;
  const c0 = new Float64Array(n + 1);
  const c1 = new Float64Array(n + 1);
  const c2 = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) {
    const x = r.min + (i + 0.5) * width;
    c0[i + 1] = c0[i]! + bins[i]!;
    c1[i + 1] = c1[i]! + bins[i]! * x;
    c2[i + 1] = c2[i]! + bins[i]! * x * x;
  }
  // Sum over bins [a, b) of count * (x - e)^2.
  const sq = (a: number, b: number, e: number) => c2[b]! - c2[a]! - 2 * e * (c1[b]! - c1[a]!) + e * e * (c0[b]! - c0[a]!);
  const zeroBin = Math.min(n, Math.max(0, Math.ceil(-r.min / width)));
  let best = { err: Infinity, lo: 0, hi: n };
  const stride = Math.max(1, Math.floor(n / MSE_STEPS));
  for (let lo = 0; lo <= zeroBin; lo += stride) {
    for (let hi = n; hi >= Math.max(lo + 1, zeroBin); hi -= stride) {
      const loV = r.min + lo * width;
      const hiV = r.min + hi * width;
      const step = (Math.max(hiV, 0) - Math.min(loV, 0)) / LEVELS;
      const err = sq(0, lo, loV) + sq(hi, n, hiV) + ((c0[hi]! - c0[lo]!) * step * step) / 12;
      if (err < best.err) best = { err, lo, hi };
    }
  }
  return { min: r.min + best.lo * width, max: r.min + best.hi * width };
}
