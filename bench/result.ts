/** Everything one bench run measured, and the ratios the report puts side by side. */
import type { DecodeResult } from './decode.js';
import type { DetectorResult } from './detector.js';
import type { PipelineRun } from './analyze-run.js';
import type { MemorySample } from './stats.js';
import { round } from './stats.js';

export interface ClipInfo {
  readonly label: string;
  readonly source: string;
  readonly codec: string;
  readonly sourceWidth: number;
  readonly sourceHeight: number;
  readonly sourceFps: number | null;
  readonly durationS: number;
  readonly width: number;
  readonly height: number;
  readonly fps: number;
}

export interface PhaseMemory extends MemorySample {
  readonly phase: string;
  /** Share of all cores other processes used during the phase, %; null off Linux. */
  readonly othersCpuPct: number | null;
}

export interface BenchResult {
  readonly env: { readonly node: string; readonly platform: string; readonly cpus: number; readonly cpuModel: string; readonly date: string };
  readonly clip: ClipInfo;
  readonly decode: { readonly ffmpegOnly: DecodeResult; readonly frameSource: DecodeResult };
  readonly detector: readonly DetectorResult[];
  readonly pipeline: readonly PipelineRun[];
  readonly memory: readonly PhaseMemory[];
}

export interface PipelineRatio {
  readonly clip: string;
  readonly gatedFps: number;
  readonly ungatedFps: number;
  /** gated fps / detect fps: 1 means the agent keeps up with a live camera. */
  readonly gatedRealtime: number;
  readonly ungatedRealtime: number;
  /** gated fps / ungated fps (analyze's own seconds, model load included). */
  readonly gatedOverUngated: number;
  /** The same after the detector was ready; null if either run lacks it. */
  readonly steadyGatedOverUngated: number | null;
  /** Detector regions gated / ungated; null if either run lacks the count. */
  readonly inferencesGatedOverUngated: number | null;
}

export interface Ratios {
  readonly ffmpegOnlyRealtime: number;
  readonly frameSourceRealtime: number;
  readonly frameSourceOverFfmpeg: number;
  /** Per available runtime: detector calls per second at the median round trip, and messaging overhead. */
  readonly detector: readonly { readonly runtime: string; readonly callsPerS: number; readonly overheadMs: number }[];
  readonly pipeline: readonly PipelineRatio[];
}

export function computeRatios(r: BenchResult): Ratios {
  const fps = r.clip.fps;
  const detector = r.detector.flatMap((d) =>
    d.available ? [{ runtime: d.runtime, callsPerS: round(1000 / d.roundTripMs.median, 2), overheadMs: round(d.roundTripMs.median - d.busyMs.median) }] : [],
  );
  return {
    ffmpegOnlyRealtime: round(r.decode.ffmpegOnly.fps / fps, 2),
    frameSourceRealtime: round(r.decode.frameSource.fps / fps, 2),
    frameSourceOverFfmpeg: round(r.decode.frameSource.fps / r.decode.ffmpegOnly.fps, 2),
    detector,
    pipeline: pairs(r.pipeline).map(([gated, ungated]) => pipelineRatio(gated, ungated, fps)),
  };
}

/** Gated and ungated runs of the same clip, in the order the clips were run. */
function pairs(runs: readonly PipelineRun[]): [PipelineRun, PipelineRun][] {
  const clips = [...new Set(runs.map((p) => p.clip))];
  return clips.flatMap((clip) => {
    const gated = runs.find((p) => p.clip === clip && p.motionGating);
    const ungated = runs.find((p) => p.clip === clip && !p.motionGating);
    return gated && ungated ? [[gated, ungated] as [PipelineRun, PipelineRun]] : [];
  });
}

function pipelineRatio(gated: PipelineRun, ungated: PipelineRun, fps: number): PipelineRatio {
  const both = (a: number | null, b: number | null): number | null => (a === null || b === null || b === 0 ? null : round(a / b, 2));
  return {
    clip: gated.clip,
    gatedFps: round(gated.fps, 2),
    ungatedFps: round(ungated.fps, 2),
    gatedRealtime: round(gated.fps / fps, 2),
    ungatedRealtime: round(ungated.fps / fps, 2),
    gatedOverUngated: round(gated.fps / ungated.fps, 2),
    steadyGatedOverUngated: both(gated.steadyFps, ungated.steadyFps),
    inferencesGatedOverUngated: both(gated.inferences, ungated.inferences),
  };
}
