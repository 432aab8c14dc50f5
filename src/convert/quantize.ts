/**
 * Static 8-bit quantization of the converted fp32 model, QDQ format (int8
 * per-channel weights; uint8 activations by default, see quantize-params.ts):
 * fuse hard-swish, equalize channels, plan which tensors to quantize (the
 * stride-2 layers stay float), calibrate them on real inputs, round the
 * weights with GPTQ, insert the QDQ pairs, correct biases.
 */
import { decodeModel, encodeModel } from './onnx-codec.js';
import { prune, type OnnxGraph, type OnnxNode } from './onnx-ir.js';
import { fuseHardSwish } from './fuse-hard-swish.js';
import type { ModelInput } from './frames.js';
import { calibrate, channelAbsMax, type CalibrationMethod } from './quantize-calibrate.js';
import { equalizeGroups, findGroups, type EqualizeResult } from './quantize-equalize.js';
import { activationFloors } from './activation-floors.js';
import { applyQdq } from './quantize-qdq.js';
import { correctBiases, type BiasCorrection } from './quantize-bias-correct.js';
import { planQuantization, readsFineMaps } from './quantize-plan.js';
import { gptqWeights } from './quantize-gptq.js';
import type { ActivationType } from './quantize-params.js';

/** Inputs used to measure per-channel ranges for equalization (a subset of the calibration set). */
const EQUALIZATION_INPUTS = 40;
/** Inputs per bias-correction pass (each pass runs them through the quantized graph once). */
const BIAS_CORRECTION_INPUTS = 24;
/** Inputs whose conv-input patches make GPTQ's H (1024 positions each per conv). */
export const GPTQ_INPUTS = 32;
/** Default: ops reading stride-2 maps (and the image itself) stay float; see readsFineMaps. */
export const FLOAT_STRIDE = 2;

export interface QuantizeOptions {
  readonly heads: readonly string[];
  readonly method: CalibrationMethod;
  /** Activation type; ORT on x86 only fuses every conv with 'uint8' (see quantize-params.ts). */
  readonly activations: ActivationType;
  readonly threads: number;
  readonly producer: string;
  /** Progress lines for the slow steps. */
  readonly log?: (line: string) => void;
  /** Empirical bias correction after QDQ (default on; see quantize-bias-correct.ts). */
  readonly biasCorrection?: boolean;
  /** Channel equalization before calibration (default on; see quantize-equalize.ts). */
  readonly equalize?: boolean;
  /** Nodes to leave in float although their type is quantizable. */
  readonly keepFloat?: (n: OnnxNode) => boolean;
  /** Ops reading maps at this stride or finer stay float (default FLOAT_STRIDE; 0: none). Combined with keepFloat. */
  readonly floatStride?: number;
  /** Hessian-aware weight rounding (GPTQ, default on; see quantize-gptq.ts); off: round to nearest. */
  readonly gptq?: boolean;
  /** Op types to quantize (default QUANTIZABLE_OPS). */
  readonly ops?: readonly string[];
}

export interface Quantized {
  readonly bytes: Uint8Array;
  readonly graph: OnnxGraph;
  /** The float graph after hard-swish fusion and equalization, before QDQ (same function as the input). */
  readonly prepared: Uint8Array;
  readonly hardSwishFused: number;
  readonly equalized: EqualizeResult | undefined;
  readonly corrected: BiasCorrection | undefined;
  readonly activations: number;
  readonly convs: number;
  readonly floatConvs: number;
  /** Convs whose weights GPTQ rounded (0: round to nearest). */
  readonly gptq: number;
  /** Ops reading maps at this stride or finer were kept float (0: none). */
  readonly floatStride: number;
}

export async function quantizeModel(fp32: Uint8Array, calibration: readonly ModelInput[], o: QuantizeOptions): Promise<Quantized> {
  const graph = decodeModel(fp32);
  const hardSwishFused = fuseHardSwish(graph);
  prune(graph);
  const equalized = o.equalize === false ? undefined : await equalize(graph, calibration, o.threads);
  const stride = o.floatStride ?? FLOAT_STRIDE;
  const fine = stride > 0 ? readsFineMaps(graph, stride) : () => false;
  const plan = planQuantization(graph, o.heads, o.ops, (n) => fine(n) || (o.keepFloat?.(n) ?? false));
  const prepared = encodeModel(graph);
  const ranges = await calibrate(graph, plan.tensors, calibration, o.method, o.threads, activationFloors(graph));
  const weights = o.gptq === false ? new Map() : await gptqWeights(graph, [...plan.convs], calibration.slice(0, GPTQ_INPUTS), o.threads, o.log);
  const float = decodeModel(prepared);
  const result = applyQdq(graph, plan, ranges, o.activations, weights);
  const corrected = o.biasCorrection === false ? undefined : await correctBiases(float, graph, calibration.slice(0, BIAS_CORRECTION_INPUTS), o.threads, (done, total) => {
    if (done % 10 === 0 || done === total) o.log?.(`bias correction: ${done}/${total} convs`);
  });
  graph.producer = o.producer;
  const floatConvs = graph.nodes.filter((n) => n.op === 'Conv').length - result.convs;
  return { bytes: encodeModel(graph), graph, prepared, hardSwishFused, equalized, corrected, activations: result.activations, convs: result.convs, floatConvs, gptq: weights.size, floatStride: stride };
}

/** Equalizes the groups around every conv input but the image (which cannot be rescaled). */
async function equalize(graph: OnnxGraph, calibration: readonly ModelInput[], threads: number): Promise<EqualizeResult> {
  const inputs = new Set(graph.inputs.map((i) => i.name));
  const seeds = [...new Set(graph.nodes.filter((n) => n.op === 'Conv' && !inputs.has(n.inputs[0]!)).map((n) => n.inputs[0]!))];
  const groups = findGroups(graph, seeds);
  const tensors = [...new Set(groups.flatMap((g) => [...g.tensors]))];
  const absMax = await channelAbsMax(graph, tensors, calibration.slice(0, EQUALIZATION_INPUTS), threads, activationFloors(graph));
  return equalizeGroups(graph, groups, absMax);
}

export function describeMethod(m: CalibrationMethod): string {
  return m.kind === 'minmax' ? 'min/max' : m.kind === 'mse' ? 'minimum squared error range' : `percentile ${m.percentile} % (each tail)`;
}
