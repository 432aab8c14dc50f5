/**
 * What the confirmation rules look at, measured from a track's history.
 * Pure functions of the samples, so each rule's input can be printed by
 * `--explain` and tested on synthetic tracks.
 */
import { boxArea, boxBottomCenter, boxCenter, boxHeight, boxWidth, pointInPolygon } from '../core/geometry.js';
import type { Polygon } from '../core/types.js';
import type { Track, TrackSample } from '../tracker/track.js';

export interface TrackMeasures {
  hits: number;
  lifeS: number;
  /** Median of the last N samples, misses counted as 0. */
  medianScore: number;
  bestScore: number;
  /** Median box area over hits, fraction of the frame. */
  areaFraction: number;
  /** Median height / width over hits. */
  aspect: number;
  /** Median |ln(area_i / area_{i-1})| between consecutive hits: size jumping. */
  sizeJitter: number;
  /** Share of consecutive moves that turn by more than 90°: erratic flight. */
  erratic: number;
  /** Median centre speed in box diagonals per second. */
  speed: number;
  /** Largest bottom-centre displacement from the first hit, in box sizes. */
  moved: number;
  /** Share of hits per label category (by count), e.g. { person: 0.8, animal: 0.2 }. */
  categoryShare: Record<string, number>;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function measure(track: Track, frameArea: number, scoreWindow: number, categoryOf: (label: string) => string): TrackMeasures {
  const hits = track.hitSamples();
  const boxes = hits.map((s) => s.box!);
  return {
    hits: track.hits,
    lifeS: track.lifeS(),
    medianScore: median(track.samples.slice(-scoreWindow).map((s) => s.score)),
    bestScore: Math.max(0, ...hits.map((s) => s.score)),
    areaFraction: median(boxes.map((b) => boxArea(b) / frameArea)),
    aspect: median(boxes.map((b) => boxHeight(b) / Math.max(1, boxWidth(b)))),
    sizeJitter: sizeJitter(hits),
    erratic: erratic(hits),
    speed: speed(hits),
    moved: track.maxDisplacement / Math.max(1, median(boxes.map((b) => Math.max(boxWidth(b), boxHeight(b))))),
    categoryShare: shares(hits.map((s) => categoryOf(s.label!))),
  };
}

function sizeJitter(hits: readonly TrackSample[]): number {
  const jumps: number[] = [];
  for (let i = 1; i < hits.length; i++) jumps.push(Math.abs(Math.log(boxArea(hits[i]!.box!) / Math.max(1, boxArea(hits[i - 1]!.box!)))));
  return median(jumps);
}

function moves(hits: readonly TrackSample[]): { dx: number; dy: number; dt: number; diag: number }[] {
  const out = [];
  for (let i = 1; i < hits.length; i++) {
    const a = hits[i - 1]!;
    const b = hits[i]!;
    const [ax, ay] = boxCenter(a.box!);
    const [bx, by] = boxCenter(b.box!);
    out.push({ dx: bx - ax, dy: by - ay, dt: b.tS - a.tS, diag: Math.hypot(boxWidth(b.box!), boxHeight(b.box!)) });
  }
  return out;
}

function erratic(hits: readonly TrackSample[]): number {
  // Moves shorter than 2 % of the box diagonal are detector jitter, not direction.
  const m = moves(hits).filter((v) => Math.hypot(v.dx, v.dy) > 0.02 * v.diag);
  if (m.length < 2) return 0;
  let turns = 0;
  for (let i = 1; i < m.length; i++) if (m[i]!.dx * m[i - 1]!.dx + m[i]!.dy * m[i - 1]!.dy < 0) turns++;
  return turns / (m.length - 1);
}

function speed(hits: readonly TrackSample[]): number {
  return median(moves(hits).filter((v) => v.dt > 0).map((v) => Math.hypot(v.dx, v.dy) / v.dt / Math.max(1, v.diag)));
}

function shares(categories: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of categories) out[c] = (out[c] ?? 0) + 1 / categories.length;
  return out;
}

/** Whether the last `inertia` hits all stand (bottom-centre) inside the polygon. */
export function inZone(track: Track, polygon: Polygon, inertia = 3): boolean {
  const hits = track.hitSamples().slice(-inertia);
  return hits.length >= Math.min(inertia, track.hits) && hits.every((s) => pointInPolygon(boxBottomCenter(s.box!), polygon));
}
