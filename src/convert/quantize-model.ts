/**
 * The quantizer end to end: fp32 ONNX model folder -> int8 QDQ model folder,
 * then int8 vs fp32 on held-out real inputs, ORT's kernel profile of the
 * int8 model and a timing table.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadManifest } from '../detector/manifest.js';
import { compareModels, type EvalReport } from './evaluate.js';
import { buildInputs } from './frames.js';
import { calibrationSet, EVAL_SET, FOOTAGE } from './frame-sets.js';
import { fileSha256, writeModelFolder } from './model-folder.js';
import type { CalibrationMethod } from './quantize-calibrate.js';
import { describeMethod, GPTQ_INPUTS, quantizeModel, type Quantized } from './quantize.js';
import type { ActivationType } from './quantize-params.js';
import { QUANTIZABLE_OPS } from './quantize-plan.js';

export const QUANTIZER_VERSION = '2';
export const INT8_FILE = 'centernet-int8.onnx';
const HEADS = ['keypoints', 'wh'];

export interface QuantizeModelOptions {
  readonly input: string;
  readonly out: string;
  /** Calibration inputs (frames x 3: whole frame + 2 crops each). */
  readonly frames: number;
  readonly method: CalibrationMethod;
  readonly activations: ActivationType;
  readonly threads: number;
  /** GPTQ weight rounding (else round to nearest). */
  readonly gptq: boolean;
  /** Empirical bias correction after QDQ. */
  readonly biasCorrection: boolean;
  /** Ops reading maps at this stride or finer stay float (0: quantize them too). */
  readonly floatStride: number;
  readonly log: (line: string) => void;
}

export interface QuantizeModelResult {
  readonly quantized: Quantized;
  readonly fp32: Uint8Array;
  readonly size: number;
  readonly evaluation: EvalReport;
}

export async function quantizeModelFolder(o: QuantizeModelOptions): Promise<QuantizeModelResult> {
  const { dir, manifest: source } = loadManifest(o.input);
  if (source.format !== 'onnx') throw new Error(`${o.input}: format ${source.format}, expected onnx (run convert-model first)`);
  const size = source.input.width;
  const fp32 = new Uint8Array(readFileSync(join(dir, source.graph)));
  const spec = calibrationSet(o.frames);
  const calibration = (await buildInputs(spec, size)).slice(0, o.frames);
  o.log(`calibration: ${calibration.length} inputs from ${spec.frames.length} frames of ${FOOTAGE}`);
  const quantized = await quantizeModel(fp32, calibration, {
    heads: HEADS, method: o.method, activations: o.activations, threads: o.threads, producer: `edge-agent quantize ${QUANTIZER_VERSION}`,
    gptq: o.gptq, biasCorrection: o.biasCorrection, floatStride: o.floatStride, log: o.log,
  });
  o.log(describeQuantized(quantized));
  writeModelFolder({
    dir: o.out,
    name: 'centernet-coco-int8',
    version: `${source.version}+int8.${QUANTIZER_VERSION}`,
    graph: INT8_FILE,
    bytes: quantized.bytes,
    size,
    labels: source.labels,
    licenseFrom: dir,
    license: source.license,
    provenance: provenance(source.provenance, o, calibration.length, spec.frames.length, `${source.name} ${source.version}`, fileSha256(join(dir, source.graph)), quantized),
  });
  o.log(`wrote ${o.out}`);
  const evaluation = await compareModels(fp32, quantized.bytes, await buildInputs(EVAL_SET, size), o.threads);
  return { quantized, fp32, size, evaluation };
}

function describeQuantized(q: Quantized): string {
  const eq = q.equalized ? `${q.equalized.groups} channel-equalized groups (largest factor ${q.equalized.largestFactor.toFixed(0)})` : 'no equalization';
  const bc = q.corrected ? `bias correction on ${q.corrected.convs} convs` : 'no bias correction';
  const rounding = q.gptq > 0 ? `GPTQ weights on ${q.gptq} convs` : 'weights rounded to nearest';
  const fine = q.floatStride > 0 ? `ops on stride-${q.floatStride} maps float` : 'every stride quantized';
  return `quantized: ${q.convs} convs int8 (${q.floatConvs} float), ${q.activations} activation tensors, ${q.hardSwishFused} hard-swish fused, ${eq}, ${rounding}, ${fine}, ${bc}, ${(q.bytes.length / 1e6).toFixed(1)} MB`;
}

function provenance(base: Readonly<Record<string, string>>, o: QuantizeModelOptions, inputs: number, frames: number, source: string, sourceSha: string, q: Quantized): Record<string, string> {
  const act = o.activations === 'uint8' ? 'uint8 (U8S8)' : 'int8 (S8S8)';
  return {
    ...base,
    source_model: `${source} (${o.input})`,
    source_sha256: sourceSha,
    quantizer: `edge-agent src/convert version ${QUANTIZER_VERSION} (scripts/quantize-model.ts)`,
    weights: `int8 for ${q.convs} convs${q.gptq > 0 ? ` (rounded by GPTQ on their inputs from ${GPTQ_INPUTS} calibration inputs)` : ' (rounded to nearest)'}, float32 for ${q.floatConvs} (squeeze-excite, the head output convs${q.floatStride > 0 ? `, the convs reading stride-${q.floatStride} maps or the image` : ''})`,
    quantization: `static, QDQ: weights int8 per output channel, symmetric (DequantizeLinear axis 0), int32 biases; activations ${act} per tensor, asymmetric; quantized ops ${QUANTIZABLE_OPS.join(', ')}; float: squeeze-excite, the two head output convs, the decoding tail${q.floatStride > 0 ? `, every op reading a stride-${q.floatStride} map or the image` : ''}`,
    preparation: `hard-swish fused (${q.hardSwishFused}); channel equalization (${q.equalized?.groups ?? 0} groups) folded into weights${q.corrected ? `; empirical bias correction (${q.corrected.convs} convs)` : ''}`,
    calibration: `${inputs} inputs: ${frames} even-numbered frames of vtest.avi (Debian opencv-doc), each whole (squashed) and as 2 random square crops, resized to the input size; ranges ${describeMethod(o.method)}`,
  };
}
