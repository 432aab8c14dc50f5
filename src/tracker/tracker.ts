/**
 * Multi-object tracker: greedy association of detections to predicted track
 * boxes by overlap and centre distance, short gaps bridged, stationary objects
 * recognised and remembered after they are lost (a parked car that the
 * detector loses at dusk and finds again is the same parked car, not a new
 * arrival).
 */
import { boxCenter, boxHeight, boxWidth, containment, iou } from '../core/geometry.js';
import type { Box, Detection } from '../core/types.js';
import { Track } from './track.js';

export interface TrackerOptions {
  /** A track not seen for this long ends, seconds. */
  readonly maxGapS: number;
  /** Least IoU with the predicted box for a match (centre distance can also match). */
  readonly minIou: number;
  /** Movement below this fraction of the box size over `stationaryAfterS` = stationary. */
  readonly stationaryMove: number;
  readonly stationaryAfterS: number;
  /** How long a lost stationary object is remembered, seconds. */
  readonly stationaryMemoryS: number;
  /** Tracks born within this many seconds after a light change are marked suspect. */
  readonly lightChangeSuspectS: number;
}

export interface TrackerUpdate {
  readonly active: readonly Track[];
  /** Tracks that ended on this update (unseen for longer than maxGapS). */
  readonly ended: readonly Track[];
}

interface Remembered {
  readonly box: Box;
  readonly untilS: number;
}

/** A stationary object is re-detected once per this many seconds. */
const STATIONARY_CHECK_S = 1;

/** Boxes of two tracks this similar on one frame are one object. */
const DUPLICATE_IOU = 0.6;

/** Tracks with one hit that are missed this long are dropped: single false positives. */
const TENTATIVE_GAP_S = 0.5;

export class Tracker {
  private tracks: Track[] = [];
  private stationaryMemory: Remembered[] = [];
  private nextId = 1;
  private lastLightChangeS = -Infinity;

  constructor(private readonly opts: TrackerOptions) {}

  active(): readonly Track[] {
    return this.tracks;
  }

  /**
   * Boxes where the detector must look at time tS: every moving track's
   * prediction, and a stationary track's only once per `stationaryCheckS`
   * (a parked car need not cost an inference on every frame).
   */
  predictions(tS: number): Box[] {
    return this.tracks.filter((t) => !t.stationary || tS - t.lastHitS >= STATIONARY_CHECK_S).map((t) => t.predict(tS));
  }

  noteLightChange(tS: number): void {
    this.lastLightChangeS = tS;
  }

  /**
   * Feeds the detections of one frame. `examined` are the regions the detector
   * looked at: a track whose prediction lies outside them is neither hit nor
   * missed on this frame (default: the whole frame was examined).
   */
  update(detections: readonly Detection[], tS: number, frameIndex: number, examined?: readonly Box[]): TrackerUpdate {
    const unmatched = new Set(detections.keys());
    for (const [ti, di] of this.associate(detections, tS)) {
      this.tracks[ti]!.hit(detections[di]!, tS, frameIndex);
      unmatched.delete(di);
    }
    const matched = new Set(this.tracks.filter((t) => t.lastHitS === tS));
    for (const t of this.tracks) {
      if (matched.has(t)) continue;
      if (examined && !examined.some((r) => containment(t.predict(tS), r) > 0.8)) t.unseen(tS);
      else t.miss(tS, frameIndex);
    }
    for (const di of unmatched) this.tracks.push(this.spawn(detections[di]!, tS, frameIndex));
    for (const t of this.tracks) this.updateStationary(t, tS);
    return { active: this.tracks, ended: [...this.dropDuplicates(tS), ...this.reap(tS)] };
  }

  /**
   * Two tracks on one object (a partial box at a crop edge became its own track,
   * then both follow the object): the younger one ends as soon as both are hit
   * on the same frame with boxes this similar.
   */
  private dropDuplicates(tS: number): Track[] {
    const hitNow = this.tracks.filter((t) => t.lastHitS === tS);
    const dup = new Set<Track>();
    for (let i = 0; i < hitNow.length; i++) {
      for (let j = i + 1; j < hitNow.length; j++) {
        const [a, b] = [hitNow[i]!, hitNow[j]!];
        // Opposite velocities: two people crossing, not one object twice.
        const together = a.velocity[0] * b.velocity[0] + a.velocity[1] * b.velocity[1] >= 0;
        if (together && iou(a.box, b.box) > DUPLICATE_IOU) dup.add(a.id > b.id ? a : b);
      }
    }
    if (dup.size > 0) this.tracks = this.tracks.filter((t) => !dup.has(t));
    return [...dup];
  }

  /** Ends every track (end of input or shutdown). */
  flush(): Track[] {
    const all = this.tracks;
    this.tracks = [];
    return all;
  }

  private associate(detections: readonly Detection[], tS: number): [number, number][] {
    const pairs: { ti: number; di: number; cost: number }[] = [];
    this.tracks.forEach((t, ti) => {
      const p = t.predict(tS);
      detections.forEach((d, di) => {
        const cost = matchScore(p, d.box, this.opts.minIou) + (d.label === t.topLabel() ? 0.2 : 0);
        if (cost > 0.2) pairs.push({ ti, di, cost });
      });
    });
    pairs.sort((a, b) => b.cost - a.cost);
    const usedT = new Set<number>();
    const usedD = new Set<number>();
    const out: [number, number][] = [];
    for (const { ti, di } of pairs) {
      if (usedT.has(ti) || usedD.has(di)) continue;
      usedT.add(ti);
      usedD.add(di);
      out.push([ti, di]);
    }
    return out;
  }

  private spawn(d: Detection, tS: number, frameIndex: number): Track {
    const suspect = tS - this.lastLightChangeS <= this.opts.lightChangeSuspectS;
    const t = new Track(this.nextId++, d, tS, frameIndex, suspect);
    this.stationaryMemory = this.stationaryMemory.filter((m) => m.untilS >= tS);
    if (this.stationaryMemory.some((m) => iou(m.box, d.box) > 0.5)) {
      t.inheritedStationary = true;
      t.stationary = true;
    }
    return t;
  }

  private updateStationary(t: Track, tS: number): void {
    if (tS - t.firstS < this.opts.stationaryAfterS) return;
    const since = tS - this.opts.stationaryAfterS;
    const recent = t.samples.filter((s) => s.box !== null && s.tS >= since);
    const first = recent[0]?.box;
    if (!first) return;
    const [x0, y0] = boxCenter(first);
    const moved = recent.reduce((m, s) => Math.max(m, Math.hypot(boxCenter(s.box!)[0] - x0, boxCenter(s.box!)[1] - y0)), 0);
    t.stationary = moved < this.opts.stationaryMove * t.size();
  }

  private reap(tS: number): Track[] {
    const ended: Track[] = [];
    this.tracks = this.tracks.filter((t) => {
      const gap = tS - t.lastSeenS();
      const dead = gap > this.opts.maxGapS || (t.hits === 1 && gap > TENTATIVE_GAP_S);
      if (dead) ended.push(t);
      return !dead;
    });
    for (const t of ended) {
      if (t.stationary) this.stationaryMemory.push({ box: t.box, untilS: tS + this.opts.stationaryMemoryS });
    }
    return ended;
  }
}

/** 0..~1.5: overlap plus closeness of centres relative to the predicted box size. */
function matchScore(predicted: Box, det: Box, minIou: number): number {
  const overlap = iou(predicted, det);
  const [px, py] = boxCenter(predicted);
  const [dx, dy] = boxCenter(det);
  const diag = Math.hypot(boxWidth(predicted), boxHeight(predicted));
  const closeness = Math.max(0, 1 - Math.hypot(px - dx, py - dy) / Math.max(1, diag));
  if (overlap < minIou && closeness < 0.5) return 0;
  return overlap + 0.5 * closeness;
}
