/**
 * Layout changes of dense row-major data: the general transpose and the two
 * weight layouts TF -> ONNX. TF conv filters are HWIO [kh, kw, in, out]; ONNX
 * wants OIHW. Depthwise filters are [kh, kw, C, M] (M = channel multiplier);
 * ONNX expresses them as a grouped conv with group = C and weights
 * [C*M, 1, kh, kw], output channel c*M + m reading input channel c, which is
 * the order TF uses too.
 */

export type Dense = Float32Array | Int32Array;

/** out[perm-applied index] = data[index]: out has dims perm.map(p => dims[p]). */
export function transpose<T extends Dense>(data: T, dims: readonly number[], perm: readonly number[]): T {
  if (perm.length !== dims.length) throw new Error(`perm ${perm.join(',')} does not match rank ${dims.length}`);
  const outDims = perm.map((p) => dims[p]!);
  const inStrides = strides(dims);
  const out = new (data.constructor as new (n: number) => T)(data.length);
  const index = new Array<number>(dims.length).fill(0);
  const permStrides = perm.map((p) => inStrides[p]!);
  for (let o = 0; o < out.length; o++) {
    let src = 0;
    for (let d = 0; d < index.length; d++) src += index[d]! * permStrides[d]!;
    out[o] = data[src]!;
    for (let d = index.length - 1; d >= 0; d--) {
      if (++index[d]! < outDims[d]!) break;
      index[d] = 0;
    }
  }
  return out;
}

export function strides(dims: readonly number[]): number[] {
  const s = new Array<number>(dims.length);
  let acc = 1;
  for (let d = dims.length - 1; d >= 0; d--) {
    s[d] = acc;
    acc *= dims[d]!;
  }
  return s;
}

export interface Weights {
  readonly data: Float32Array;
  readonly dims: number[];
}

/** HWIO [kh, kw, in, out] -> OIHW [out, in, kh, kw]. */
export function hwioToOihw(data: Float32Array, dims: readonly number[]): Weights {
  const [kh, kw, ci, co] = rank4(dims, 'conv filter');
  return { data: transpose(data, dims, [3, 2, 0, 1]), dims: [co, ci, kh, kw] };
}

/** Depthwise [kh, kw, C, M] -> [C*M, 1, kh, kw] for a conv with group = C. */
export function depthwiseToOihw(data: Float32Array, dims: readonly number[]): Weights {
  const [kh, kw, c, m] = rank4(dims, 'depthwise filter');
  const chw = transpose(data, dims, [2, 3, 0, 1]);
  return { data: chw, dims: [c * m, 1, kh, kw] };
}

/** ONNX Transpose perms (out axis i reads in axis perm[i]). */
export const NHWC_TO_NCHW_PERM = [0, 3, 1, 2] as const;
export const NCHW_TO_NHWC_PERM = [0, 2, 3, 1] as const;

/** Where NHWC axis `axis` (negative allowed) lands in NCHW. */
export function nhwcAxisInNchw(axis: number): number {
  const a = axis < 0 ? axis + 4 : axis;
  const map = [0, 2, 3, 1];
  const out = map[a];
  if (out === undefined) throw new Error(`axis ${axis} is not an axis of a rank-4 tensor`);
  return out;
}

function rank4(dims: readonly number[], what: string): [number, number, number, number] {
  if (dims.length !== 4) throw new Error(`${what} must be rank 4, got [${dims.join(',')}]`);
  return [dims[0]!, dims[1]!, dims[2]!, dims[3]!];
}
