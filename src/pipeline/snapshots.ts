/**
 * Keeps, per track, a private copy of the frame where the track's best hit of
 * a label of interest was seen: the event's snapshot. Only tracks with such a
 * hit pay for a copy, and only when the score improves.
 */
import type { Box, Frame } from '../core/types.js';
import type { Track } from '../tracker/track.js';
import { ANIMAL, OTHER } from '../confirm/policy.js';

export interface KeptSnapshot {
  readonly frame: Frame;
  readonly box: Box;
  readonly score: number;
  readonly label: string;
}

export class SnapshotKeeper {
  private readonly best = new Map<number, KeptSnapshot>();

  constructor(private readonly categoryOf: (label: string) => string) {}

  /** Call once per frame for every active track, after the tracker update. */
  offer(track: Track, frame: Frame): void {
    const last = track.samples[track.samples.length - 1];
    if (!last || last.tS !== frame.tS || !last.box || !last.label) return;
    const category = this.categoryOf(last.label);
    if (category === ANIMAL || category === OTHER) return;
    const kept = this.best.get(track.id);
    if (kept && kept.score >= last.score) return;
    // new Uint8Array(x) copies; Buffer#slice would only make a view.
    const copy: Frame = { ...frame, rgb: new Uint8Array(frame.rgb) };
    this.best.set(track.id, { frame: copy, box: last.box, score: last.score, label: last.label });
  }

  take(trackId: number): KeptSnapshot | undefined {
    const s = this.best.get(trackId);
    this.best.delete(trackId);
    return s;
  }
}
