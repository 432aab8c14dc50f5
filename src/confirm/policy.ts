/**
 * The confirmation policy: decides whether a track is an event. Rules run in
 * a fixed order and the first that does not pass gives the verdict, with the
 * values it saw, so `--explain` can say exactly why. `rejected` means the track
 * looks like something we must not alert on (an animal, an insect at the lens);
 * `pending` means the evidence is not there yet.
 */
import type { CameraConfig, ConfirmConfig } from '../config/schema.js';
import { containment, iou } from '../core/geometry.js';
import type { Box } from '../core/types.js';
import type { Track } from '../tracker/track.js';
import { inZone, measure, type TrackMeasures } from './measures.js';

export type Status = 'confirmed' | 'pending' | 'rejected';

export interface Verdict {
  readonly status: Status;
  /** The rule that decided: "confirmed" when all passed. */
  readonly rule: string;
  readonly reason: string;
  /** Event category (e.g. "person", "vehicle") when the track has one. */
  readonly category: string | null;
  readonly values: TrackMeasures & { zones: string[]; bornInLightChange: boolean; stationary: boolean };
}

/** A recent event, for the cooldown rule. */
export interface RecentEvent {
  readonly category: string;
  readonly box: Box;
  readonly endS: number;
}

export const ANIMAL = 'animal';
export const OTHER = 'other';

export class ConfirmationPolicy {
  private readonly categoryByLabel = new Map<string, string>();

  constructor(
    private readonly cfg: ConfirmConfig,
    private readonly camera: Pick<CameraConfig, 'zones' | 'requiredZones'>,
    private readonly frameArea: number,
  ) {
    for (const [category, labels] of Object.entries(cfg.labels)) for (const l of labels) this.categoryByLabel.set(l, category);
    for (const l of cfg.animalLabels) this.categoryByLabel.set(l, ANIMAL);
  }

  categoryOf = (label: string): string => this.categoryByLabel.get(label) ?? OTHER;

  evaluate(track: Track, nowS: number, recent: readonly RecentEvent[]): Verdict {
    const m = measure(track, this.frameArea, this.cfg.scoreWindow, this.categoryOf);
    const zones = this.camera.zones.filter((z) => inZone(track, z.polygon)).map((z) => z.name);
    const values = { ...m, zones, bornInLightChange: track.bornInLightChange, stationary: track.stationary };
    const category = this.majorCategory(m);
    const verdict = (status: Status, rule: string, reason: string): Verdict => ({ status, rule, reason, category, values });
    const cfg = this.cfg;
    const evidence = track.bornInLightChange ? 2 : 1;

    const animal = m.categoryShare[ANIMAL] ?? 0;
    if (animal >= cfg.animalShare) return verdict('rejected', 'animal', `${pct(animal)} of hits are animals (limit ${pct(cfg.animalShare)})`);
    if (category === null) return verdict('pending', 'label', `no label of interest (${Object.keys(m.categoryShare).join(', ') || 'none'})`);
    const lens = this.lensReason(m);
    if (lens) return verdict('rejected', 'lens', lens);
    if (m.hits < cfg.minHits * evidence) return verdict('pending', 'min-hits', `${m.hits} hits < ${cfg.minHits * evidence}`);
    if (m.lifeS < cfg.minLifeS * evidence) return verdict('pending', 'min-life', `${m.lifeS.toFixed(2)} s < ${cfg.minLifeS * evidence} s`);
    if (m.medianScore < cfg.medianScore) return verdict('pending', 'score', `median score ${m.medianScore.toFixed(2)} < ${cfg.medianScore}`);
    const shape = this.shapeReason(category, m);
    if (shape) return verdict('pending', 'shape', shape);
    if (track.inheritedStationary || m.moved < cfg.minMove * evidence) {
      const why = track.inheritedStationary ? 'a stationary object was lost here before' : `moved ${m.moved.toFixed(2)} box sizes < ${cfg.minMove * evidence}`;
      return verdict('pending', 'moved', why);
    }
    const required = this.camera.requiredZones;
    if (required.length > 0 && !required.some((z) => zones.includes(z))) {
      return verdict('pending', 'zone', `not in required zone ${required.join(' or ')}`);
    }
    const dup = recent.find((e) => e.category === category && nowS - e.endS <= cfg.cooldownS && samePlace(e.box, track.box));
    if (dup) return verdict('rejected', 'cooldown', `${category} event at the same place ended ${(nowS - dup.endS).toFixed(1)} s ago`);
    return verdict('confirmed', 'confirmed', `${category}: all rules passed`);
  }

  /** The category of interest holding the most hits, if it holds at least half. */
  private majorCategory(m: TrackMeasures): string | null {
    let best: string | null = null;
    let share = 0;
    for (const [c, s] of Object.entries(m.categoryShare)) {
      if (c !== ANIMAL && c !== OTHER && s > share) [best, share] = [c, s];
    }
    return share >= 0.5 ? best : null;
  }

  /**
   * Insects and spiders at an IR-lit lens are large, blurred, fast and erratic,
   * and their size jumps as they move in and out of focus. Two of the three
   * motion signs together, on a large box, reject the track.
   */
  private lensReason(m: TrackMeasures): string | null {
    const l = this.cfg.lens;
    if (m.hits < 3 || m.areaFraction < l.minArea) return null;
    const signs = [
      m.sizeJitter > l.sizeJitter ? `size jumps ${m.sizeJitter.toFixed(2)} > ${l.sizeJitter}` : null,
      m.erratic > l.erratic ? `erratic ${pct(m.erratic)} > ${pct(l.erratic)}` : null,
      m.speed > l.speed ? `speed ${m.speed.toFixed(1)} diag/s > ${l.speed}` : null,
    ].filter((s): s is string => s !== null);
    return signs.length >= 2 ? `large (${pct(m.areaFraction)} of frame) and ${signs.join(', ')}` : null;
  }

  private shapeReason(category: string, m: TrackMeasures): string | null {
    const f = this.cfg.filters[category];
    if (!f) return null;
    if (m.areaFraction < f.minArea || m.areaFraction > f.maxArea) {
      return `area ${pct(m.areaFraction, 2)} outside ${pct(f.minArea, 2)}..${pct(f.maxArea, 2)}`;
    }
    if (m.aspect < f.minAspect || m.aspect > f.maxAspect) return `aspect h/w ${m.aspect.toFixed(2)} outside ${f.minAspect}..${f.maxAspect}`;
    return null;
  }
}

/** Overlapping, or one mostly inside the other (a partial box of the same object). */
function samePlace(a: Box, b: Box): boolean {
  return iou(a, b) > 0.3 || containment(a, b) > 0.6 || containment(b, a) > 0.6;
}

function pct(v: number, digits = 0): string {
  return `${(v * 100).toFixed(digits)}%`;
}
