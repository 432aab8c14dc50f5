/**
 * int8 vs fp32: both ONNX models on the same held-out real inputs (the
 * evaluation set never overlaps calibration), comparing all detections and,
 * per input, whether the person detections agree one-to-one.
 */
import { compareRows, DEFAULT_RULE, formatAgreement, summarize, type Agreement, type PairCounts } from './agreement.js';
import type { ModelInput } from './frames.js';
import { maxAbsDiff } from './heads.js';
import { openSession, runRgb } from './ort-session.js';
import { PERSON_CLASS } from './centernet.js';

export interface EvalReport {
  readonly inputs: number;
  readonly detections: Agreement;
  readonly persons: Agreement;
  /** Inputs whose person detections agree one-to-one, %. */
  readonly personInputsPercent: number;
  /** Inputs whose person detections agree except for boxes within the margin below the threshold, %. */
  readonly personInputsUpToThresholdPercent: number;
  /** Largest |score| difference of the keypoints head. */
  readonly keypointsMaxAbs: number;
}

export async function compareModels(reference: string | Uint8Array, candidate: string | Uint8Array, inputs: readonly ModelInput[], threads = 2): Promise<EvalReport> {
  const [a, b] = await Promise.all([openSession(reference, { threads }), openSession(candidate, { threads })]);
  const all: PairCounts[] = [];
  const persons: PairCounts[] = [];
  let keypointsMaxAbs = 0;
  try {
    for (const input of inputs) {
      const ra = await runRgb(a, input.rgb, input.size);
      const rb = await runRgb(b, input.rgb, input.size);
      all.push(compareRows(ra.detections!, rb.detections!, DEFAULT_RULE));
      persons.push(compareRows(ra.detections!, rb.detections!, DEFAULT_RULE, PERSON_CLASS));
      keypointsMaxAbs = Math.max(keypointsMaxAbs, maxAbsDiff(ra.keypoints!, rb.keypoints!));
    }
  } finally {
    await Promise.all([a.release(), b.release()]);
  }
  const p = summarize(persons);
  return {
    inputs: inputs.length, detections: summarize(all), persons: p, keypointsMaxAbs,
    personInputsPercent: (100 * p.inputsAgreeing) / p.inputs,
    personInputsUpToThresholdPercent: (100 * p.inputsAgreeingUpToThreshold) / p.inputs,
  };
}

export function formatEvalReport(r: EvalReport, label: string): string[] {
  return [
    `${label} on ${r.inputs} held-out real inputs`,
    `  detections: ${formatAgreement(r.detections)}`,
    `  persons: ${formatAgreement(r.persons)}`,
    `  inputs whose person detections agree one-to-one: ${r.personInputsPercent.toFixed(1)} % (up to threshold effects: ${r.personInputsUpToThresholdPercent.toFixed(1)} %)   keypoints max |diff| ${r.keypointsMaxAbs.toFixed(3)}`,
  ];
}
