/**
 * One tracked object: its hits and misses over time, a constant-velocity
 * prediction, and the measurements the confirmation policy judges it by.
 * Histories are bounded (MAX_SAMPLES) so a months-long parked car costs
 * constant memory.
 */
import { boxBottomCenter, boxCenter, boxHeight, boxWidth } from '../core/geometry.js';
import type { Box, Detection } from '../core/types.js';

/** Samples kept per track: 60 s at 5 fps. */
export const MAX_SAMPLES = 300;

export interface TrackSample {
  readonly tS: number;
  readonly frameIndex: number;
  /** null on a miss: the detector looked where the track was predicted and found nothing. */
  readonly box: Box | null;
  /** 0 on a miss. */
  readonly score: number;
  readonly label: string | null;
}

export class Track {
  readonly samples: TrackSample[] = [];
  /** Score sums per detector label, over all hits (not bounded by MAX_SAMPLES). */
  readonly labelVotes = new Map<string, number>();
  hits = 0;
  lastHitS: number;
  box: Box;
  /** Centre velocity, pixels per second. */
  velocity: [number, number] = [0, 0];
  stationary = false;
  /**
   * Largest distance of the smoothed bottom-centre (median of the last 3 hits)
   * from where it was first seen, pixels. Smoothed because a parked car's box
   * jitters by a fifth of its size when someone walks past it.
   */
  maxDisplacement = 0;
  private readonly recentFeet: [number, number][] = [];
  /** Set when the track starts at a place where a stationary object was lost. */
  inheritedStationary = false;
  private readonly origin: readonly [number, number];

  constructor(
    readonly id: number,
    first: Detection,
    readonly firstS: number,
    frameIndex: number,
    /** Born shortly after a global light change: suspect (headlights, IR switch). */
    readonly bornInLightChange: boolean,
  ) {
    this.box = first.box;
    this.lastHitS = firstS;
    this.origin = boxBottomCenter(first.box);
    this.addHit(first, firstS, frameIndex);
  }

  /** Where the object should be at time tS, extrapolating at most one second. */
  predict(tS: number): Box {
    const dt = Math.min(1, Math.max(0, tS - this.lastHitS));
    const dx = this.velocity[0] * dt;
    const dy = this.velocity[1] * dt;
    return [this.box[0] + dx, this.box[1] + dy, this.box[2] + dx, this.box[3] + dy];
  }

  hit(d: Detection, tS: number, frameIndex: number): void {
    const dt = tS - this.lastHitS;
    if (dt > 0) {
      const [cx0, cy0] = boxCenter(this.box);
      const [cx1, cy1] = boxCenter(d.box);
      // Light smoothing: detector boxes jitter by a few pixels frame to frame.
      this.velocity = [0.5 * this.velocity[0] + 0.5 * ((cx1 - cx0) / dt), 0.5 * this.velocity[1] + 0.5 * ((cy1 - cy0) / dt)];
    }
    this.box = d.box;
    this.lastHitS = tS;
    this.addHit(d, tS, frameIndex);
  }

  /**
   * Not looked at on this frame (a stationary object between checks): it is
   * still there as far as we know, so its gap timer restarts.
   */
  unseen(tS: number): void {
    if (this.stationary) this.lastUnseenS = tS;
  }

  /** Last time the object was detected, or skipped while known to be stationary. */
  lastSeenS(): number {
    return Math.max(this.lastHitS, this.lastUnseenS);
  }

  private lastUnseenS = -Infinity;

  miss(tS: number, frameIndex: number): void {
    this.push({ tS, frameIndex, box: null, score: 0, label: null });
  }

  /** The detector label with the highest score sum. */
  topLabel(): string {
    let best = '';
    let bestVotes = -1;
    for (const [label, votes] of this.labelVotes) {
      if (votes > bestVotes) [best, bestVotes] = [label, votes];
    }
    return best;
  }

  hitSamples(): TrackSample[] {
    return this.samples.filter((s) => s.box !== null);
  }

  /** Life from first to last hit, seconds. */
  lifeS(): number {
    return this.lastHitS - this.firstS;
  }

  private addHit(d: Detection, tS: number, frameIndex: number): void {
    this.hits++;
    this.labelVotes.set(d.label, (this.labelVotes.get(d.label) ?? 0) + d.score);
    this.recentFeet.push([...boxBottomCenter(d.box)]);
    if (this.recentFeet.length > 3) this.recentFeet.shift();
    const bx = median3(this.recentFeet.map((p) => p[0]));
    const by = median3(this.recentFeet.map((p) => p[1]));
    this.maxDisplacement = Math.max(this.maxDisplacement, Math.hypot(bx - this.origin[0], by - this.origin[1]));
    this.push({ tS, frameIndex, box: d.box, score: d.score, label: d.label });
  }

  private push(s: TrackSample): void {
    this.samples.push(s);
    if (this.samples.length > MAX_SAMPLES) this.samples.shift();
  }

  /** Size of the object for movement thresholds: the longer side of the last box. */
  size(): number {
    return Math.max(boxWidth(this.box), boxHeight(this.box));
  }
}

function median3(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  return s[(s.length - 1) >> 1]!;
}
