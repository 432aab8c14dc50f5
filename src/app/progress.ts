/**
 * Progress on stderr while a file is analysed: frames done, fps, and how busy
 * the detector is (share of wall time inside inference). At most one line
 * every INTERVAL_MS, so a long file does not flood the terminal.
 */
import type { DetectorStats } from '../detector/detector.js';
import type { PipelineStats } from '../pipeline/camera-pipeline.js';

const INTERVAL_MS = 2000;

export class Progress {
  private readonly startMs = performance.now();
  private lastMs = this.startMs;

  constructor(
    private readonly sink: ((line: string) => void) | null,
    private readonly expectedFrames: number | undefined,
  ) {}

  tick(p: Readonly<PipelineStats>, d: DetectorStats): void {
    const now = performance.now();
    if (!this.sink || now - this.lastMs < INTERVAL_MS) return;
    this.lastMs = now;
    this.sink(this.line(p, d, now));
  }

  done(p: Readonly<PipelineStats>, d: DetectorStats): void {
    this.sink?.(`${this.line(p, d, performance.now())} done`);
  }

  private line(p: Readonly<PipelineStats>, d: DetectorStats, now: number): string {
    const s = (now - this.startMs) / 1000;
    const of = this.expectedFrames ? `/${this.expectedFrames}` : '';
    const load = s > 0 ? (d.busyMs / 1000 / s) * 100 : 0;
    return `progress: frames ${p.frames}${of}, ${(p.frames / Math.max(s, 1e-3)).toFixed(1)} fps, detector ${d.inferences} inferences, load ${load.toFixed(0)}%, tracks ${p.tracks}, events ${p.events}`;
  }
}
