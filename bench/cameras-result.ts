/** Rates over each configuration's window, and how they scale with the number of cameras. */
import type { CameraCounters, ConfigRun } from './cameras-run.js';

export interface CameraRates {
  readonly name: string;
  /** Frames the pipeline took per second (motion ran on each; shed ones skipped detection). */
  readonly analysedPerS: number;
  /** Frames ffmpeg delivered per second. */
  readonly inPerS: number;
  /** Frames the source dropped because the pipeline lagged, per second. */
  readonly droppedPerS: number;
  /** Detector requests shed by the shared detector (overloaded), per second. */
  readonly shedPerS: number;
  /** Events confirmed in the window, and since the daemon started (at the window's end). */
  readonly events: number;
  readonly eventsSinceStart: number;
  readonly reconnects: number;
  readonly stalls: number;
}

export interface ConfigSummary {
  readonly cameras: number;
  readonly windowS: number;
  readonly perCamera: readonly CameraRates[];
  readonly total: Omit<CameraRates, 'name'>;
  /** Analysed fps per camera: mean, lowest and highest. */
  readonly perCameraAnalysed: { readonly mean: number; readonly min: number; readonly max: number };
  /** What the cameras offer at detect.fps: cameras x fps. */
  readonly offeredPerS: number;
  /** Analysed / offered. */
  readonly keptUpShare: number;
  /** CPU time of the whole tree per analysed frame, ms of one core. */
  readonly cpuMsPerFrame: number;
}

export interface Scaling {
  readonly cameras: number;
  /** The configuration compared against (the fewest cameras run). */
  readonly base: number;
  readonly analysedX: number;
  readonly cpuX: number;
  readonly nodeRssPeakX: number;
  readonly ffmpegRssPeakX: number;
  /** cpuMsPerFrame of this / of base. */
  readonly cpuPerFrameX: number;
}

export function summarise(run: ConfigRun, fps: number): ConfigSummary {
  const perCamera = Object.keys(run.end).map((name) => cameraRates(name, run.start[name], run.end[name]!, run.windowS));
  const sum = (k: keyof Omit<CameraRates, 'name'>): number => perCamera.reduce((s, c) => s + c[k], 0);
  const total = {
    analysedPerS: sum('analysedPerS'), inPerS: sum('inPerS'), droppedPerS: sum('droppedPerS'), shedPerS: sum('shedPerS'),
    events: sum('events'), eventsSinceStart: sum('eventsSinceStart'), reconnects: sum('reconnects'), stalls: sum('stalls'),
  };
  const analysed = perCamera.map((c) => c.analysedPerS);
  const offered = run.cameras * fps;
  return {
    cameras: run.cameras,
    windowS: run.windowS,
    perCamera,
    total,
    perCameraAnalysed: { mean: total.analysedPerS / run.cameras, min: Math.min(...analysed), max: Math.max(...analysed) },
    offeredPerS: offered,
    keptUpShare: total.analysedPerS / offered,
    cpuMsPerFrame: total.analysedPerS > 0 ? (run.cpu.treePctOfCore * 10) / total.analysedPerS : Infinity,
  };
}

function cameraRates(name: string, from: CameraCounters | undefined, to: CameraCounters, s: number): CameraRates {
  const d = (k: keyof CameraCounters): number => to[k] - (from?.[k] ?? 0);
  return {
    name,
    analysedPerS: d('analysed') / s,
    inPerS: d('framesIn') / s,
    droppedPerS: d('framesDropped') / s,
    shedPerS: d('detectorShed') / s,
    events: d('events'),
    eventsSinceStart: to.events,
    reconnects: d('reconnects'),
    stalls: d('stalls'),
  };
}

/** Each configuration against the one with the fewest cameras. */
export function scaling(runs: readonly ConfigRun[], summaries: readonly ConfigSummary[]): Scaling[] {
  const b = runs.reduce((m, r, i) => (r.cameras < runs[m]!.cameras ? i : m), 0);
  const baseRun = runs[b];
  const baseSum = summaries[b];
  if (!baseRun || !baseSum) return [];
  return runs.flatMap((r, i) => {
    const s = summaries[i]!;
    if (i === b) return [];
    return [{
      cameras: r.cameras,
      base: baseRun.cameras,
      analysedX: s.total.analysedPerS / baseSum.total.analysedPerS,
      cpuX: r.cpu.treePctOfCore / baseRun.cpu.treePctOfCore,
      nodeRssPeakX: r.memory.nodePeakMiB / baseRun.memory.nodePeakMiB,
      ffmpegRssPeakX: r.memory.ffmpegPeakMiB / baseRun.memory.ffmpegPeakMiB,
      cpuPerFrameX: s.cpuMsPerFrame / baseSum.cpuMsPerFrame,
    }];
  });
}
