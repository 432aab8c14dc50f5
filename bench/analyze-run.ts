/**
 * One run of the real analyze() composition root on a clip, gated or not.
 * Events go to a throwaway store in the bench's temp dir. Nothing is printed:
 * the logger writes into a sink that only notes when the detector became
 * ready (so the model load can be told apart from steady-state fps), and the
 * progress sink keeps only its last line (detector inferences and load).
 */
import { join } from 'node:path';
import pino from 'pino';
import { analyze } from '../src/app/analyze.js';
import { parseConfig } from '../src/config/load.js';
import type { BenchClip } from './clip.js';
import { memory, type MemorySample } from './stats.js';

export interface PipelineRun {
  readonly clip: string;
  readonly width: number;
  readonly height: number;
  readonly motionGating: boolean;
  readonly runtime: string;
  readonly frames: number;
  /** analyze()'s own wall time, detector start included, s. */
  readonly seconds: number;
  /** frames / seconds. */
  readonly fps: number;
  /** From the call until the 'detector ready' log line, s; null if the line was not seen. */
  readonly startS: number | null;
  /** frames / (seconds after the detector was ready): the rate a running agent sustains. */
  readonly steadyFps: number | null;
  /** Regions the detector ran on, and its busy share of wall time, from analyze's final progress line. */
  readonly inferences: number | null;
  readonly detectorLoadPct: number | null;
  readonly events: number;
  readonly tracks: number;
  readonly memory: MemorySample;
}

export async function benchPipeline(clip: BenchClip, motionGating: boolean, root: string, tmpDir: string): Promise<PipelineRun> {
  const tag = `${clip.label.replace(/[^\w-]+/g, '_')}-${motionGating ? 'gated' : 'ungated'}`;
  const config = parseConfig({ storage: { db: join(tmpDir, `events-${tag}.db`), snapshots: join(tmpDir, `snaps-${tag}`) } }, 'bench');
  let readyAt: number | null = null;
  const logger = pino({ level: 'info' }, {
    write(line: string) {
      if (readyAt === null && line.includes('"msg":"detector ready"')) readyAt = performance.now();
    },
  });
  let lastProgress = '';
  const t0 = performance.now();
  const s = await analyze({
    input: clip.path,
    config,
    root,
    logger,
    onEvent: () => {},
    progress: (line) => (lastProgress = line),
    motionGating,
  });
  const ready = readyAt as number | null;
  const startS = ready === null ? null : (ready - t0) / 1000;
  const afterReady = ready === null ? null : (performance.now() - ready) / 1000;
  const detector = /detector (\d+) inferences, load (\d+)%/.exec(lastProgress);
  return {
    clip: clip.label,
    width: clip.width,
    height: clip.height,
    motionGating,
    runtime: s.runtime,
    frames: s.frames,
    seconds: s.seconds,
    fps: s.frames / s.seconds,
    startS,
    steadyFps: afterReady === null ? null : s.frames / afterReady,
    inferences: detector ? Number(detector[1]) : null,
    detectorLoadPct: detector ? Number(detector[2]) : null,
    events: s.events,
    tracks: s.tracks,
    memory: memory(),
  };
}
