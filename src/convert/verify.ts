/**
 * Conversion check: TFJS (wasm) and ORT fp32 on the same real inputs. Prints
 * how far the raw heads differ, how well the detections agree, and whether
 * the converted decoding tail matches an independent decode of ORT's heads.
 */
import { compareRows, DEFAULT_RULE, formatAgreement, summarize, type Agreement, type PairCounts } from './agreement.js';
import { HEAD_STRIDE, PERSON_CLASS } from './centernet.js';
import { buildInputs, type FrameSetSpec } from './frames.js';
import { decodeHeadsNchw, maxAbsDiffNchwNhwc } from './heads.js';
import { openSession, runRgb } from './ort-session.js';
import { loadTfjsReference } from './tfjs-reference.js';
import type { TfGraph } from './tfjs-graph.js';

export interface VerifyOptions {
  readonly sourceDir: string;
  readonly sourceGraph: string;
  /** The graph with size constants for `size` (only when size differs from the source). */
  readonly sized?: TfGraph;
  readonly onnx: string | Uint8Array;
  readonly size: number;
  readonly classes: number;
  readonly set: FrameSetSpec;
}

export interface VerifyReport {
  readonly inputs: number;
  readonly keypointsMaxAbs: number;
  readonly whMaxAbs: number;
  readonly detections: Agreement;
  readonly persons: Agreement;
  /** ORT's detections vs a JS decode of ORT's own heads (score >= 0.1, IoU >= 0.99). */
  readonly tail: Agreement;
}

const TAIL_RULE = { minScore: 0.1, minIou: 0.99, margin: 0 };

export async function verifyAgainstTfjs(o: VerifyOptions): Promise<VerifyReport> {
  const inputs = await buildInputs(o.set, o.size);
  const reference = await loadTfjsReference(o.sourceDir, o.sourceGraph, o.size, o.sized);
  const session = await openSession(o.onnx, { threads: 2 });
  const grid = o.size / HEAD_STRIDE;
  let keypointsMaxAbs = 0;
  let whMaxAbs = 0;
  const all: PairCounts[] = [];
  const persons: PairCounts[] = [];
  const tail: PairCounts[] = [];
  try {
    for (const input of inputs) {
      const ref = await reference.run(input.rgb, o.size);
      const got = await runRgb(session, input.rgb, o.size);
      keypointsMaxAbs = Math.max(keypointsMaxAbs, maxAbsDiffNchwNhwc(got.keypoints!, ref.keypoints, grid, grid, o.classes));
      whMaxAbs = Math.max(whMaxAbs, maxAbsDiffNchwNhwc(got.wh!, ref.wh, grid, grid, 4));
      all.push(compareRows(ref.detections, got.detections!, DEFAULT_RULE));
      persons.push(compareRows(ref.detections, got.detections!, DEFAULT_RULE, PERSON_CLASS));
      tail.push(compareRows(got.detections!, decodeHeadsNchw(got.keypoints!, got.wh!, grid, o.classes), TAIL_RULE));
    }
  } finally {
    await session.release();
  }
  return { inputs: inputs.length, keypointsMaxAbs, whMaxAbs, detections: summarize(all), persons: summarize(persons), tail: summarize(tail) };
}

export function formatVerifyReport(r: VerifyReport, size: number): string[] {
  return [
    `verify: TFJS (wasm) vs ORT fp32 at ${size}x${size} on ${r.inputs} real inputs`,
    `  keypoints max |diff| ${r.keypointsMaxAbs.toExponential(2)}   wh max |diff| ${r.whMaxAbs.toExponential(2)} (pixels)`,
    `  detections (score >= ${DEFAULT_RULE.minScore}, IoU >= ${DEFAULT_RULE.minIou}, same class): ${formatAgreement(r.detections)}`,
    `  persons: ${formatAgreement(r.persons)}`,
    `  decoding tail vs JS decode of the heads: ${formatAgreement(r.tail)}`,
  ];
}
