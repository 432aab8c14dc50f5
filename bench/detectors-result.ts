/**
 * What `npm run bench:detector` measures and how its accuracy columns are
 * derived: every runtime's detections on the same inputs, matched one-to-one
 * at IoU >= 0.5 with the same label (src/convert/agreement.ts).
 */
import { compareRows, summarize, type MatchRule, type PairCounts } from '../src/convert/agreement.js';
import { PERSON_CLASS } from '../src/convert/centernet.js';

/** The speed targets for int8, printed beside the measured ratios. */
export const TARGETS = { int8VsFp32: 1.5, int8VsTfjsWasm: 4 } as const;

export type RuntimeKind = 'tfjs-wasm' | 'tfjs-node' | 'ort';

/** What the parent asks of one child process. */
export interface ChildSpec {
  readonly runtime: RuntimeKind;
  readonly modelDir: string;
  readonly threads: number;
  readonly inputsFile: string;
  readonly inputs: number;
  readonly size: number;
  /** Detections below this score are not returned (the report's rule has the same floor minus its margin). */
  readonly floor: number;
}

export interface ChildResult {
  readonly note: string;
  /** Session or graph load until the first call, s. */
  readonly startS: number;
  readonly runs: number;
  readonly medianMs: number;
  readonly p90Ms: number;
  /** Peak RSS of the whole child process (Node, the runtime, the model), MiB. */
  readonly peakRssMiB: number;
  /** Per input, flat rows [x1, y1, x2, y2, score, class]. */
  readonly detections: readonly (readonly number[])[];
}

/** One row of the table: a runtime and model at a thread count. */
export interface RuntimeRow {
  readonly id: string;
  readonly label: string;
  readonly runtime: RuntimeKind;
  readonly model: string;
  readonly threads: number;
  readonly result: Omit<ChildResult, 'detections'> | null;
  /** Why there is no result (a runtime that does not load here, or a thread count it cannot use). */
  readonly missing: string | null;
}

export interface PairAgreement {
  readonly a: string;
  readonly b: string;
  /** Detections of every label: matched / (a + b - matched), %. */
  readonly detectionsPercent: number;
  readonly detectionsA: number;
  readonly detectionsB: number;
  /** Persons: matched / (a + b - matched), %. */
  readonly personsPercent: number;
  /** Inputs whose person detections agree one-to-one, %. */
  readonly personInputsPercent: number;
  /** Inputs whose person detections agree up to threshold effects (a partner just under the score floor), %. */
  readonly personInputsUpToThresholdPercent: number;
}

export interface Recall {
  readonly id: string;
  /** fp32's persons that this runtime also found, %. */
  readonly personRecallPercent: number;
  /** This runtime's persons that fp32 also found, %. */
  readonly personPrecisionPercent: number;
}

export function agreement(a: string, b: string, rowsA: readonly (readonly number[])[], rowsB: readonly (readonly number[])[], rule: MatchRule): PairAgreement {
  if (rowsA.length !== rowsB.length) throw new Error(`${a} has ${rowsA.length} inputs, ${b} ${rowsB.length}`);
  const all: PairCounts[] = [];
  const persons: PairCounts[] = [];
  rowsA.forEach((ra, i) => {
    all.push(compareRows(ra, rowsB[i]!, rule));
    persons.push(compareRows(ra, rowsB[i]!, rule, PERSON_CLASS));
  });
  const d = summarize(all);
  const p = summarize(persons);
  return {
    a, b, detectionsPercent: d.percent, detectionsA: d.a, detectionsB: d.b, personsPercent: p.percent,
    personInputsPercent: (100 * p.inputsAgreeing) / p.inputs,
    personInputsUpToThresholdPercent: (100 * p.inputsAgreeingUpToThreshold) / p.inputs,
  };
}

/** Person recall and precision of `rows` against the reference (fp32) output. */
export function recall(id: string, reference: readonly (readonly number[])[], rows: readonly (readonly number[])[], rule: MatchRule): Recall {
  const persons = summarize(reference.map((r, i) => compareRows(r, rows[i]!, rule, PERSON_CLASS)));
  const pct = (n: number, d: number) => (d === 0 ? 100 : (100 * n) / d);
  return { id, personRecallPercent: pct(persons.matched, persons.a), personPrecisionPercent: pct(persons.matched, persons.b) };
}

export interface DetectorsReport {
  readonly size: number;
  readonly inputs: number;
  readonly source: string;
  readonly loadAverage: number;
  readonly rows: readonly RuntimeRow[];
  readonly agreement: readonly PairAgreement[];
  readonly recall: readonly Recall[];
  readonly ratios: { readonly int8VsFp32: Record<string, number>; readonly int8VsTfjsWasm: number | null };
  /** fp32 and int8 timed call by call in turn in one process: the steadier int8 vs fp32 ratio. */
  readonly interleaved: readonly { readonly threads: number; readonly fp32Ms: number; readonly int8Ms: number; readonly ratio: number }[];
  readonly targets: typeof TARGETS;
}
