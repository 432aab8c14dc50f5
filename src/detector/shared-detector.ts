/**
 * One detector worker shared by every camera of the gateway. Requests wait in
 * a bounded FIFO with at most `perCamera` entries per camera, so a busy camera
 * cannot starve a quiet one (each camera's pipeline awaits its request, so the
 * FIFO serves cameras in turn). When overloaded it sheds instead of queueing:
 * a camera's older waiting request is shed when a newer one arrives, and a
 * request that waited longer than `maxWaitMs` is shed (a stale frame is worth
 * less than the next one). Shed requests reject with DETECTOR_BUSY, counted per
 * camera; memory stays flat whatever the load.
 */
import { AgentError } from '../core/errors.js';
import type { Box, Detection, Frame } from '../core/types.js';
import type { Detector, DetectorStats, ModelInfo } from './detector.js';

export interface SharedDetectorOptions {
  /** Waiting requests per camera; default 1. */
  readonly perCamera?: number;
  /** A request that waited this long is shed, ms; default 2000. */
  readonly maxWaitMs?: number;
  readonly now?: () => number;
}

interface Request {
  readonly camera: string;
  readonly frame: Frame;
  readonly regions: readonly Box[];
  readonly queuedAt: number;
  resolve(d: Detection[][]): void;
  reject(e: Error): void;
}

export interface CameraDetectorStats {
  requests: number;
  shed: number;
}

export class SharedDetector {
  private readonly queue: Request[] = [];
  private running = false;
  private readonly perCameraStats = new Map<string, CameraDetectorStats>();
  private readonly perCamera: number;
  private readonly maxWaitMs: number;
  private readonly now: () => number;

  constructor(
    private readonly inner: Detector,
    opts: SharedDetectorOptions = {},
  ) {
    this.perCamera = opts.perCamera ?? 1;
    this.maxWaitMs = opts.maxWaitMs ?? 2000;
    this.now = opts.now ?? (() => performance.now());
  }

  get info(): ModelInfo {
    return this.inner.info;
  }

  /** A Detector view for one camera, to hand to that camera's pipeline. */
  forCamera(camera: string): Detector {
    return {
      info: this.inner.info,
      detect: (frame, regions) => this.detect(camera, frame, regions),
      stats: () => this.inner.stats(),
      close: async () => {},
    };
  }

  stats(): { detector: DetectorStats; cameras: Record<string, CameraDetectorStats>; waiting: number } {
    return { detector: this.inner.stats(), cameras: Object.fromEntries(this.perCameraStats), waiting: this.queue.length };
  }

  detect(camera: string, frame: Frame, regions: readonly Box[]): Promise<Detection[][]> {
    const s = this.statsOf(camera);
    s.requests++;
    const mine = this.queue.filter((r) => r.camera === camera);
    if (mine.length >= this.perCamera) this.shed(mine[0]!, 'a newer frame from the same camera arrived');
    // Copy now: the request may wait while the caller's frame buffer is reused.
    const own: Frame = { ...frame, rgb: new Uint8Array(frame.rgb) };
    const p = new Promise<Detection[][]>((resolve, reject) => {
      this.queue.push({ camera, frame: own, regions, queuedAt: this.now(), resolve, reject });
    });
    void this.pump();
    return p;
  }

  private async pump(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (let r = this.next(); r; r = this.next()) {
        try {
          r.resolve(await this.inner.detect(r.frame, r.regions));
        } catch (e) {
          r.reject(e as Error);
        }
      }
    } finally {
      this.running = false;
    }
  }

  /** The oldest request that is still fresh; stale ones are shed on the way. */
  private next(): Request | undefined {
    for (let r = this.queue.shift(); r; r = this.queue.shift()) {
      if (this.now() - r.queuedAt <= this.maxWaitMs) return r;
      this.shedRemoved(r, `waited more than ${this.maxWaitMs} ms`);
    }
    return undefined;
  }

  private shed(r: Request, why: string): void {
    const i = this.queue.indexOf(r);
    if (i >= 0) this.queue.splice(i, 1);
    this.shedRemoved(r, why);
  }

  private shedRemoved(r: Request, why: string): void {
    this.statsOf(r.camera).shed++;
    r.reject(new AgentError('DETECTOR_BUSY', `detector overloaded: frame ${r.frame.index} of ${r.camera} shed (${why})`));
  }

  private statsOf(camera: string): CameraDetectorStats {
    let s = this.perCameraStats.get(camera);
    if (!s) this.perCameraStats.set(camera, (s = { requests: 0, shed: 0 }));
    return s;
  }
}
