/**
 * How far two detectors agree on the same inputs: boxes at or above a score
 * matched one-to-one by IoU and class. Pure, so the metric itself is tested.
 */
import { DETECTION_FIELDS } from './centernet.js';

export interface Det {
  readonly box: readonly [number, number, number, number];
  readonly score: number;
  readonly cls: number;
}

export interface MatchRule {
  /** Detections below this score do not count. */
  readonly minScore: number;
  /** Matched boxes overlap at least this much. */
  readonly minIou: number;
  /**
   * A detection without a partner is "borderline" when the other side has the
   * same box just under minScore (within this margin): a threshold effect,
   * not a different result.
   */
  readonly margin: number;
}

export const DEFAULT_RULE: MatchRule = { minScore: 0.3, minIou: 0.5, margin: 0.05 };

export interface PairCounts {
  readonly a: number;
  readonly b: number;
  readonly matched: number;
  /** Unmatched detections of either side whose partner sits just below minScore. */
  readonly borderline: number;
}

/** Rows [x1, y1, x2, y2, score, class] -> detections at or above minScore. */
export function parseDetections(rows: ArrayLike<number>, minScore: number, cls?: number): Det[] {
  const out: Det[] = [];
  for (let i = 0; i + DETECTION_FIELDS <= rows.length; i += DETECTION_FIELDS) {
    const d: Det = { box: [rows[i]!, rows[i + 1]!, rows[i + 2]!, rows[i + 3]!], score: rows[i + 4]!, cls: rows[i + 5]! };
    if (d.score >= minScore && (cls === undefined || d.cls === cls)) out.push(d);
  }
  return out;
}

export function iou(a: Det['box'], b: Det['box']): number {
  const w = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const h = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  const area = (d: Det['box']) => Math.max(0, d[2] - d[0]) * Math.max(0, d[3] - d[1]);
  return inter / (area(a) + area(b) - inter);
}

/** Greedy one-to-one matching, best IoU first. Returns index pairs. */
export function matchDetections(a: readonly Det[], b: readonly Det[], minIou: number): [number, number][] {
  const candidates: [number, number, number][] = [];
  a.forEach((da, i) => b.forEach((db, j) => {
    const v = da.cls === db.cls ? iou(da.box, db.box) : 0;
    if (v >= minIou) candidates.push([v, i, j]);
  }));
  candidates.sort((x, y) => y[0] - x[0]);
  const usedA = new Set<number>();
  const usedB = new Set<number>();
  const pairs: [number, number][] = [];
  for (const [, i, j] of candidates) {
    if (usedA.has(i) || usedB.has(j)) continue;
    usedA.add(i);
    usedB.add(j);
    pairs.push([i, j]);
  }
  return pairs;
}

/** Compares two raw detection outputs under `rule`. */
export function compareRows(rowsA: ArrayLike<number>, rowsB: ArrayLike<number>, rule: MatchRule, cls?: number): PairCounts {
  const a = parseDetections(rowsA, rule.minScore, cls);
  const b = parseDetections(rowsB, rule.minScore, cls);
  const pairs = matchDetections(a, b, rule.minIou);
  const lowA = parseDetections(rowsA, rule.minScore - rule.margin, cls);
  const lowB = parseDetections(rowsB, rule.minScore - rule.margin, cls);
  const unmatchedA = a.filter((_, i) => !pairs.some(([x]) => x === i));
  const unmatchedB = b.filter((_, j) => !pairs.some(([, y]) => y === j));
  const borderline = countCovered(unmatchedA, lowB, rule.minIou) + countCovered(unmatchedB, lowA, rule.minIou);
  return { a: a.length, b: b.length, matched: pairs.length, borderline };
}

function countCovered(dets: readonly Det[], others: readonly Det[], minIou: number): number {
  return dets.filter((d) => others.some((o) => o.cls === d.cls && iou(o.box, d.box) >= minIou)).length;
}

export interface Agreement {
  readonly inputs: number;
  readonly a: number;
  readonly b: number;
  readonly matched: number;
  readonly borderline: number;
  /** matched / (a + b - matched): 100 % when both sides found exactly the same boxes. */
  readonly percent: number;
  /** Inputs where every detection on both sides found its partner. */
  readonly inputsAgreeing: number;
  /** Inputs where every detection without a partner is a threshold effect (its partner is just below minScore). */
  readonly inputsAgreeingUpToThreshold: number;
}

export function summarize(pairs: readonly PairCounts[]): Agreement {
  const sum = (f: (p: PairCounts) => number) => pairs.reduce((s, p) => s + f(p), 0);
  const a = sum((p) => p.a);
  const b = sum((p) => p.b);
  const matched = sum((p) => p.matched);
  const union = a + b - matched;
  return {
    inputs: pairs.length, a, b, matched, borderline: sum((p) => p.borderline),
    percent: union === 0 ? 100 : (100 * matched) / union,
    inputsAgreeing: pairs.filter((p) => p.matched === p.a && p.matched === p.b).length,
    inputsAgreeingUpToThreshold: pairs.filter((p) => p.a + p.b - 2 * p.matched === p.borderline).length,
  };
}

export function formatAgreement(x: Agreement): string {
  return `${x.percent.toFixed(1)} % (${x.matched} matched of ${x.a} vs ${x.b}; ${x.borderline} unmatched are threshold effects); ${x.inputsAgreeing}/${x.inputs} inputs agree exactly, ${x.inputsAgreeingUpToThreshold}/${x.inputs} up to threshold effects`;
}
