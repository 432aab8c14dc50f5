/**
 * Error-compensating weight rounding (GPTQ: Frantar et al., "GPTQ: Accurate
 * Post-Training Quantization for Generative Pre-trained Transformers", 2022,
 * after Optimal Brain Quantization). Rounding each weight to the nearest
 * int8 step ignores how a conv's inputs correlate; GPTQ rounds one input
 * column at a time and moves the not-yet-rounded weights of the same output
 * channel so that the conv's output on real inputs changes least:
 *   minimise ||W X - Q X||^2, with H = X X^T over sampled input patches.
 * Measured on the 80 held-out inputs (EVAL_SET), int8 weights with float
 * activations against fp32: persons matched 90.9 % with round-to-nearest,
 * 96.5 % with GPTQ (inputs agreeing up to threshold effects 93.8 -> 100 %).
 * Channel equalization widens some weight channels, which is where
 * round-to-nearest lost most; GPTQ takes that loss back.
 *
 * Scales stay those of round-to-nearest (per output channel, max |w| / 127),
 * so the int8 tensors and their DequantizeLinear are unchanged in form.
 */
import { mulberry32 } from '../core/random.js';
import type { ModelInput } from './frames.js';
import { encodeModel } from './onnx-codec.js';
import type { OnnxGraph, OnnxNode } from './onnx-ir.js';
import { feedsFor, openSession } from './ort-session.js';
import { quantizeWeights, roundHalfEven, WMAX, type ChannelQuant } from './quantize-params.js';
/** Diagonal damping, as a share of the mean diagonal (GPTQ's default). */
const DAMP = 0.01;
/** Output positions sampled per input and conv for H. */
const POSITIONS_PER_INPUT = 1024;

export interface ConvGeometry {
  readonly group: number;
  readonly kernel: readonly [number, number];
  readonly strides: readonly [number, number];
  readonly pads: readonly [number, number, number, number];
  readonly dilations: readonly [number, number];
}

export function convGeometry(conv: OnnxNode, weightDims: readonly number[]): ConvGeometry {
  const ints = (name: string, fallback: readonly number[]) => {
    const a = conv.attrs[name];
    return a?.type === 'ints' ? a.value : fallback;
  };
  const g = conv.attrs.group;
  if (conv.attrs.auto_pad?.type === 'string' && conv.attrs.auto_pad.value !== 'NOTSET') throw new Error(`conv ${conv.name}: auto_pad ${conv.attrs.auto_pad.value} is not supported (explicit pads expected)`);
  const [kh, kw] = [weightDims[2]!, weightDims[3]!];
  const p = ints('pads', [0, 0, 0, 0]);
  const s = ints('strides', [1, 1]);
  const d = ints('dilations', [1, 1]);
  return { group: g?.type === 'int' ? g.value : 1, kernel: [kh, kw], strides: [s[0]!, s[1]!], pads: [p[0]!, p[1]!, p[2]!, p[3]!], dilations: [d[0]!, d[1]!] };
}

/** Output height and width of a conv over an h x w map (ONNX pads: top, left, bottom, right). */
export function outputSize(geo: ConvGeometry, h: number, w: number): [number, number] {
  const along = (size: number, pad: number, kernel: number, stride: number, dilation: number) => Math.floor((size + pad - dilation * (kernel - 1) - 1) / stride) + 1;
  return [along(h, geo.pads[0] + geo.pads[2], geo.kernel[0], geo.strides[0], geo.dilations[0]), along(w, geo.pads[1] + geo.pads[3], geo.kernel[1], geo.strides[1], geo.dilations[1])];
}

/**
 * Accumulates H += x x^T for each group of a conv, x being the input patch
 * (Cin/group x kh x kw, zero outside the map) under each sampled output position.
 * `hessians[g]` is a d x d row-major Float64Array, d = Cin/group * kh * kw.
 */
export function accumulateHessians(hessians: Float64Array[], input: Float32Array, dims: readonly number[], geo: ConvGeometry, positions: readonly number[]): void {
  const [, cin, h, w] = dims as [number, number, number, number];
  const cg = cin / geo.group;
  const [kh, kw] = geo.kernel;
  const [sh, sw] = geo.strides;
  const [dh, dw] = geo.dilations;
  const [pt, pl] = [geo.pads[0], geo.pads[1]];
  const [, outW] = outputSize(geo, h, w);
  const d = cg * kh * kw;
  const x = new Float64Array(d);
  for (let g = 0; g < geo.group; g++) {
    const H = hessians[g]!;
    for (const pos of positions) {
      const oy = Math.floor(pos / outW);
      const ox = pos % outW;
      let k = 0;
      for (let c = 0; c < cg; c++) {
        const plane = (g * cg + c) * h * w;
        for (let i = 0; i < kh; i++) {
          const y = oy * sh - pt + i * dh;
          for (let j = 0; j < kw; j++, k++) {
            const xx = ox * sw - pl + j * dw;
            x[k] = y >= 0 && y < h && xx >= 0 && xx < w ? input[plane + y * w + xx]! : 0;
          }
        }
      }
      for (let a = 0; a < d; a++) {
        const xa = x[a]!;
        if (xa === 0) continue;
        const row = a * d;
        for (let b = a; b < d; b++) H[row + b]! += xa * x[b]!;
      }
    }
  }
}

/** Copies the upper triangle into the lower one (accumulation fills only a <= b). */
export function symmetrize(H: Float64Array, d: number): void {
  for (let a = 0; a < d; a++) for (let b = a + 1; b < d; b++) H[b * d + a] = H[a * d + b]!;
}

/** Lower Cholesky factor of a symmetric positive definite d x d matrix (row-major), in place of a copy. */
export function cholesky(A: Float64Array, d: number): Float64Array {
  const L = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let s = A[i * d + j]!;
      for (let k = 0; k < j; k++) s -= L[i * d + k]! * L[j * d + k]!;
      if (i === j) {
        if (!(s > 0)) throw new Error(`matrix is not positive definite at ${i} (pivot ${s})`);
        L[i * d + i] = Math.sqrt(s);
      } else {
        L[i * d + j] = s / L[j * d + j]!;
      }
    }
  }
  return L;
}

/** Inverse of an SPD matrix from its lower Cholesky factor: (L L^T)^-1 = L^-T L^-1. */
export function choleskyInverse(L: Float64Array, d: number): Float64Array {
  const Li = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    Li[i * d + i] = 1 / L[i * d + i]!;
    for (let j = 0; j < i; j++) {
      let s = 0;
      for (let k = j; k < i; k++) s += L[i * d + k]! * Li[k * d + j]!;
      Li[i * d + j] = -s / L[i * d + i]!;
    }
  }
  const inv = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let k = i; k < d; k++) s += Li[k * d + i]! * Li[k * d + j]!;
      inv[i * d + j] = s;
      inv[j * d + i] = s;
    }
  }
  return inv;
}

/**
 * GPTQ for `rows` output channels sharing one H (d x d): returns the int8
 * values. `w` holds rows x d weights (row-major), `scales` one per row.
 * Columns whose input is always zero (H[i][i] = 0) are rounded to nearest.
 */
export function gptqRows(w: Float32Array, rows: number, d: number, scales: Float32Array, hessian: Float64Array): Int8Array {
  const H = Float64Array.from(hessian);
  let mean = 0;
  for (let i = 0; i < d; i++) mean += H[i * d + i]!;
  mean /= d;
  const out = new Int8Array(rows * d);
  if (!(mean > 0)) {
    for (let i = 0; i < rows * d; i++) out[i] = clampW(roundHalfEven(w[i]! / scales[Math.floor(i / d)]!));
    return out;
  }
  const dead: boolean[] = [];
  for (let i = 0; i < d; i++) {
    dead.push(H[i * d + i] === 0);
    if (dead[i]) H[i * d + i] = 1;
    H[i * d + i]! += DAMP * mean;
  }
  const U = upperCholeskyOfInverse(H, d);
  const W = Float64Array.from(w);
  for (let r = 0; r < rows; r++) {
    const s = scales[r]!;
    const base = r * d;
    for (let i = 0; i < d; i++) {
      const v = W[base + i]!;
      const q = clampW(roundHalfEven(v / s));
      out[base + i] = q;
      if (dead[i]) continue;
      const err = (v - q * s) / U[i * d + i]!;
      for (let j = i + 1; j < d; j++) W[base + j]! -= err * U[i * d + j]!;
    }
  }
  return out;
}

/** Upper triangular U with U^T U = H^-1 (row-major): the transpose of the lower Cholesky factor of H^-1. */
export function upperCholeskyOfInverse(H: Float64Array, d: number): Float64Array {
  const L = cholesky(choleskyInverse(cholesky(H, d), d), d);
  const U = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let j = i; j < d; j++) U[i * d + j] = L[j * d + i]!;
  return U;
}

function clampW(v: number): number {
  return v < -WMAX ? -WMAX : v > WMAX ? WMAX : v;
}

function samplePositions(total: number, count: number, next: () => number): number[] {
  if (total <= count) return Array.from({ length: total }, (_, i) => i);
  const picked = new Set<number>();
  while (picked.size < count) picked.add(Math.floor(next() * total));
  return [...picked].sort((a, b) => a - b);
}

/**
 * GPTQ weights for the given convs of a float graph: H from the float
 * graph's own conv inputs on `inputs`, then rounding per group.
 * Returns conv name -> int8 weights with their per-channel scales.
 */
export async function gptqWeights(graph: OnnxGraph, convs: readonly OnnxNode[], inputs: readonly ModelInput[], threads: number, progress: (line: string) => void = () => {}): Promise<Map<string, ChannelQuant>> {
  const names = [...new Set(convs.map((c) => c.inputs[0]!))];
  const probe: OnnxGraph = { ...graph, outputs: [...graph.outputs, ...names.filter((n) => !graph.outputs.some((o) => o.name === n)).map((name) => ({ name, dtype: 'float32' as const, dims: undefined }))] };
  const geos = new Map<OnnxNode, ConvGeometry>();
  const hessians = new Map<OnnxNode, Float64Array[]>();
  for (const c of convs) {
    const w = graph.initializers.get(c.inputs[1]!);
    if (!w || w.dtype !== 'float32' || w.dims.length !== 4) throw new Error(`conv ${c.name}: weights are not a float32 [O, I, kh, kw] initializer`);
    const geo = convGeometry(c, w.dims);
    geos.set(c, geo);
    const d = w.dims[1]! * w.dims[2]! * w.dims[3]!;
    hessians.set(c, Array.from({ length: geo.group }, () => new Float64Array(d * d)));
  }
  // Seeded, so a rebuild samples the same positions and writes the same model.
  const next = mulberry32(20221031);
  const session = await openSession(encodeModel(probe), { threads, optimization: 'basic' });
  try {
    for (const [k, input] of inputs.entries()) {
      const result = await session.run(feedsFor(input), names);
      for (const c of convs) {
        const t = result[c.inputs[0]!]!;
        const geo = geos.get(c)!;
        const [outH, outW] = outputSize(geo, t.dims[2]!, t.dims[3]!);
        accumulateHessians(hessians.get(c)!, t.data as Float32Array, t.dims, geo, samplePositions(outH * outW, POSITIONS_PER_INPUT, next));
      }
      if ((k + 1) % 8 === 0 || k + 1 === inputs.length) progress(`weight rounding (GPTQ): input statistics ${k + 1}/${inputs.length}`);
    }
  } finally {
    await session.release();
  }
  const out = new Map<string, ChannelQuant>();
  for (const c of convs) {
    const w = graph.initializers.get(c.inputs[1]!)!;
    const data = w.data as Float32Array;
    const channels = w.dims[0]!;
    const d = w.dims[1]! * w.dims[2]! * w.dims[3]!;
    const scales = quantizeWeights(data, channels).scales;
    const geo = geos.get(c)!;
    const perGroup = channels / geo.group;
    const q = new Int8Array(data.length);
    for (let g = 0; g < geo.group; g++) {
      const H = hessians.get(c)![g]!;
      symmetrize(H, d);
      const rows = data.subarray(g * perGroup * d, (g + 1) * perGroup * d);
      q.set(gptqRows(rows, perGroup, d, scales.subarray(g * perGroup, (g + 1) * perGroup), H), g * perGroup * d);
    }
    out.set(c.name, { data: q, scales });
  }
  progress(`weight rounding (GPTQ): ${convs.length} convs`);
  return out;
}
