/**
 * 8-bit quantization arithmetic (ONNX QuantizeLinear semantics:
 * q = saturate(round_half_even(x / scale) + zero_point)).
 * Activations: per-tensor, asymmetric over [min, max] widened to contain 0,
 * so 0 is exact (padding and ReLU zeros), as int8 or uint8. Weights: per output channel,
 * symmetric in [-127, 127] with zero point 0. Biases: int32 at
 * input scale x weight scale, which is what QLinearConv accumulates in.
 */

export interface QParams {
  readonly scale: number;
  readonly zeroPoint: number;
}

/**
 * Activation storage type: 'uint8' (U8S8) or 'int8' (S8S8). On x86, ORT 1.31
 * rewrites S8 activations to U8 itself (QDQS8ToU8Transformer) but skips a
 * Q whose output feeds more than one DequantizeLinear (every residual branch
 * point): the conv after it then sees u8 in, s8 out and stays float. With
 * S8S8, 56 of 87 convs became QLinearConv; with U8S8 all 87 (measured).
 */
export type ActivationType = 'uint8' | 'int8';

const RANGES: Record<ActivationType, readonly [number, number]> = { uint8: [0, 255], int8: [-128, 127] };
/** Symmetric weights skip -128 so |q| <= 127 on both sides. */
export const WMAX = 127;
/** A tensor that is constant (min = max = 0) still needs a usable scale. */
const MIN_SCALE = 1e-8;

export function activationParams(min: number, max: number, type: ActivationType): QParams {
  const [qmin, qmax] = RANGES[type];
  const lo = Math.min(min, 0);
  const hi = Math.max(max, 0);
  const scale = Math.max((hi - lo) / (qmax - qmin), MIN_SCALE);
  const zeroPoint = clamp(Math.round(qmin - lo / scale), qmin, qmax);
  return { scale: Math.fround(scale), zeroPoint };
}

/** Round half to even, as ONNX QuantizeLinear does. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

export function quantizeValue(x: number, p: QParams, type: ActivationType): number {
  const [qmin, qmax] = RANGES[type];
  return clamp(roundHalfEven(x / p.scale) + p.zeroPoint, qmin, qmax);
}

export interface ChannelQuant {
  readonly data: Int8Array;
  /** One scale per output channel (axis 0). */
  readonly scales: Float32Array;
}

/** Per-channel symmetric int8 over axis 0 of a weight tensor with `channels` rows. */
export function quantizeWeights(w: Float32Array, channels: number): ChannelQuant {
  const per = w.length / channels;
  if (!Number.isInteger(per)) throw new Error(`${w.length} weights do not split into ${channels} channels`);
  const data = new Int8Array(w.length);
  const scales = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    let absMax = 0;
    for (let i = c * per; i < (c + 1) * per; i++) absMax = Math.max(absMax, Math.abs(w[i]!));
    const scale = Math.fround(Math.max(absMax / WMAX, MIN_SCALE));
    scales[c] = scale;
    for (let i = c * per; i < (c + 1) * per; i++) data[i] = clamp(roundHalfEven(w[i]! / scale), -WMAX, WMAX);
  }
  return { data, scales };
}

const INT32_MAX = 2 ** 31 - 1;

/** Bias as int32 at scale inputScale * weightScale[c]; the scales are returned for its DequantizeLinear. */
export function quantizeBias(bias: Float32Array, inputScale: number, weightScales: Float32Array): { data: Int32Array; scales: Float32Array } {
  const scales = new Float32Array(bias.length);
  const data = new Int32Array(bias.length);
  for (let c = 0; c < bias.length; c++) {
    const s = Math.fround(inputScale * weightScales[c]!);
    scales[c] = s;
    data[c] = clamp(roundHalfEven(bias[c]! / s), -INT32_MAX, INT32_MAX);
  }
  return { data, scales };
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}
