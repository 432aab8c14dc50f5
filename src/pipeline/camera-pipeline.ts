/**
 * One camera's pipeline: frame → motion → regions → detector → tracker →
 * confirmation → event. The same object runs under `analyze` (a file, as fast
 * as the machine allows) and under the daemon (live RTSP). It owns no process
 * and no clock: time is the frame's own timestamp.
 */
import type { CameraConfig, Config } from '../config/schema.js';
import { isAgentError } from '../core/errors.js';
import type { Box, Detection, Frame, MotionResult } from '../core/types.js';
import type { Detector } from '../detector/detector.js';
import { ConfirmationPolicy, OTHER, type RecentEvent, type Verdict } from '../confirm/policy.js';
import { MotionDetector } from '../motion/motion-detector.js';
import { mergeDetections, planRegions } from '../regions/regions.js';
import { Tracker } from '../tracker/tracker.js';
import type { Track } from '../tracker/track.js';
import { SnapshotKeeper } from './snapshots.js';

/** A confirmed track that has ended: what the event sink stores and forwards. */
export interface ConfirmedTrack {
  readonly camera: string;
  readonly trackId: number;
  readonly category: string;
  readonly objectLabel: string;
  readonly score: number;
  readonly startS: number;
  readonly endS: number;
  readonly box: Box;
  /** Frame of the best-scoring hit (a private copy) and the box on it; null if none was kept. */
  readonly snapshot: { readonly frame: Frame; readonly box: Box } | null;
  readonly verdict: Verdict;
}

/** The explanation of one ended track, confirmed or not. */
export interface TrackReport {
  readonly camera: string;
  readonly trackId: number;
  readonly label: string;
  readonly startS: number;
  readonly endS: number;
  readonly confirmed: boolean;
  readonly verdict: Verdict;
}

export interface PipelineOptions {
  /** false: detect on the whole frame every frame (the bench's baseline). */
  readonly motionGating: boolean;
}

export interface PipelineStats {
  frames: number;
  framesWithMotion: number;
  detectorCalls: number;
  regions: number;
  lightChanges: number;
  tracks: number;
  events: number;
  /** Frames whose detection the shared detector shed under overload. */
  shed: number;
}

export class CameraPipeline {
  private readonly tracker: Tracker;
  private readonly policy: ConfirmationPolicy;
  private motion: MotionDetector | null = null;
  private readonly confirmed = new Map<number, Verdict>();
  private readonly recent: RecentEvent[] = [];
  private readonly snapshots: SnapshotKeeper;
  private readonly statsNow: PipelineStats = { frames: 0, framesWithMotion: 0, detectorCalls: 0, regions: 0, lightChanges: 0, tracks: 0, events: 0, shed: 0 };

  constructor(
    private readonly camera: CameraConfig,
    private readonly config: Config,
    private readonly detector: Detector,
    private readonly frameSize: { readonly width: number; readonly height: number },
    private readonly onEvent: (e: ConfirmedTrack) => Promise<void>,
    private readonly onReport: (r: TrackReport) => void = () => {},
    private readonly options: PipelineOptions = { motionGating: true },
  ) {
    this.tracker = new Tracker({ ...config.tracker, lightChangeSuspectS: config.confirm.lightChangeSuspectS });
    this.policy = new ConfirmationPolicy(config.confirm, camera, frameSize.width * frameSize.height);
    this.snapshots = new SnapshotKeeper((label) => this.policy.categoryOf(label));
  }

  stats(): Readonly<PipelineStats> {
    return this.statsNow;
  }

  async process(frame: Frame): Promise<void> {
    this.statsNow.frames++;
    const motion = this.detectMotion(frame);
    if (motion.lightChange) {
      this.statsNow.lightChanges++;
      this.tracker.noteLightChange(frame.tS);
    }
    if (motion.boxes.length > 0) this.statsNow.framesWithMotion++;
    const regions = this.options.motionGating
      ? planRegions(motion.boxes, this.tracker.predictions(frame.tS), this.regionOptions())
      : [[0, 0, frame.width, frame.height] as Box];
    if (regions.length === 0) return;
    this.statsNow.detectorCalls++;
    this.statsNow.regions += regions.length;
    let perRegion: Detection[][];
    try {
      perRegion = await this.detector.detect(frame, regions);
    } catch (e) {
      // A shared detector sheds frames when overloaded: this frame is skipped, not counted as misses.
      if (isAgentError(e) && e.code === 'DETECTOR_BUSY') {
        this.statsNow.shed++;
        return;
      }
      throw e;
    }
    await this.track(frame, mergeDetections(perRegion), regions);
  }

  /** Ends all tracks (end of input, shutdown) and emits their events. */
  async finish(): Promise<void> {
    const last = this.lastS;
    for (const t of this.tracker.flush()) await this.end(t, last);
  }

  private lastS = 0;

  private detectMotion(frame: Frame): MotionResult {
    if (!this.motion) {
      const m = this.config.motion;
      const opts = { height: m.height, threshold: m.threshold, alpha: m.alpha, lightChangeFraction: m.lightChangeFraction, minArea: m.minArea };
      this.motion = new MotionDetector(frame.width, frame.height, opts, this.camera.masks);
    }
    return this.motion.detect(frame);
  }

  private regionOptions() {
    const { width, height } = this.frameSize;
    const modelSize = Math.max(this.detector.info.inputWidth, this.detector.info.inputHeight);
    return { frameWidth: width, frameHeight: height, modelSize, ...this.config.regions };
  }

  private async track(frame: Frame, detections: readonly Detection[], examined: readonly Box[]): Promise<void> {
    this.lastS = frame.tS;
    const before = this.tracker.active().length;
    // Labels that can never become or veto an event (a bench, a sports ball) are not tracked:
    // each track costs a crop on the following frames.
    const hits = detections.filter((d) => d.score >= this.config.confirm.minScore && this.policy.categoryOf(d.label) !== OTHER);
    const { active, ended } = this.tracker.update(hits, frame.tS, frame.index, examined);
    this.statsNow.tracks += Math.max(0, active.length + ended.length - before);
    for (const t of active) {
      this.snapshots.offer(t, frame);
      if (!this.confirmed.has(t.id)) this.judge(t, frame.tS);
    }
    for (const t of ended) await this.end(t, frame.tS);
  }

  private judge(t: Track, nowS: number): void {
    const live: RecentEvent[] = [...this.confirmed.entries()].flatMap(([id, v]) => {
      const other = this.tracker.active().find((a) => a.id === id);
      // Where that object is now, so a second track on a moving object still overlaps it.
      return other && v.category ? [{ category: v.category, box: other.predict(nowS), endS: nowS }] : [];
    });
    const v = this.policy.evaluate(t, nowS, [...this.recent, ...live]);
    if (v.status === 'confirmed') this.confirmed.set(t.id, v);
  }

  private async end(t: Track, nowS: number): Promise<void> {
    const confirmedVerdict = this.confirmed.get(t.id);
    const verdict = confirmedVerdict ?? this.policy.evaluate(t, nowS, this.recent);
    this.confirmed.delete(t.id);
    const snap = this.snapshots.take(t.id);
    this.onReport({ camera: this.camera.name, trackId: t.id, label: t.topLabel(), startS: t.firstS, endS: t.lastHitS, confirmed: !!confirmedVerdict, verdict });
    if (!confirmedVerdict || !verdict.category) return;
    this.recent.push({ category: verdict.category, box: t.box, endS: t.lastHitS });
    this.pruneRecent(nowS);
    this.statsNow.events++;
    await this.onEvent({
      camera: this.camera.name,
      trackId: t.id,
      category: verdict.category,
      objectLabel: snap?.label ?? t.topLabel(),
      score: snap?.score ?? verdict.values.bestScore,
      startS: t.firstS,
      endS: t.lastHitS,
      box: snap?.box ?? t.box,
      snapshot: snap ? { frame: snap.frame, box: snap.box } : null,
      verdict,
    });
  }

  private pruneRecent(nowS: number): void {
    const keepAfter = nowS - this.config.confirm.cooldownS;
    while (this.recent.length > 0 && this.recent[0]!.endS < keepAfter) this.recent.shift();
    if (this.recent.length > 256) this.recent.splice(0, this.recent.length - 256);
  }
}
