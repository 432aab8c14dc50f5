/**
 * TensorFlow padding rules as explicit ONNX pads. TF 'SAME' pads so that
 * out = ceil(in / stride) and puts the odd pixel at the end (bottom/right):
 * a 3x3 stride-2 conv on 512 pads [0, 1], not [1, 1]. ONNX's auto_pad
 * SAME_UPPER means the same thing, but explicit pads keep the graph readable
 * and make no assumption about how a runtime resolves auto_pad.
 */

export type TfPadding = 'SAME' | 'VALID';

export interface AxisPads {
  readonly before: number;
  readonly after: number;
  readonly out: number;
}

/** Pads and output size of one spatial axis. */
export function axisPads(size: number, kernel: number, stride: number, dilation: number, padding: TfPadding): AxisPads {
  const effective = (kernel - 1) * dilation + 1;
  if (padding === 'VALID') {
    const out = Math.floor((size - effective) / stride) + 1;
    if (out < 1) throw new Error(`VALID window ${effective} does not fit an input of ${size}`);
    return { before: 0, after: 0, out };
  }
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + effective - size, 0);
  const before = Math.floor(total / 2);
  return { before, after: total - before, out };
}

export interface Pads2d {
  /** ONNX order: [top, left, bottom, right]. */
  readonly pads: [number, number, number, number];
  readonly outHeight: number;
  readonly outWidth: number;
}

export interface Window2d {
  readonly kernel: readonly [number, number];
  readonly stride: readonly [number, number];
  readonly dilation: readonly [number, number];
}

/** Pads for an NHWC input of height x width under a 2-D window. */
export function pads2d(height: number, width: number, w: Window2d, padding: TfPadding): Pads2d {
  const y = axisPads(height, w.kernel[0], w.stride[0], w.dilation[0], padding);
  const x = axisPads(width, w.kernel[1], w.stride[1], w.dilation[1], padding);
  return { pads: [y.before, x.before, y.after, x.after], outHeight: y.out, outWidth: x.out };
}
