/**
 * Composition root of `edge-agent analyze`: config → probe → detector worker
 * → event store → camera pipeline → frames. Builds in order, tears down in
 * reverse, even on error.
 */
import { resolve } from 'node:path';
import type { CameraConfig, Config } from '../config/schema.js';
import { AgentError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { WorkerDetector } from '../detector/worker-detector.js';
import type { AgentEvent } from '../events/event.js';
import { recordEvent } from '../events/record.js';
import { EventStore } from '../events/store.js';
import { CameraPipeline, type ConfirmedTrack, type TrackReport } from '../pipeline/camera-pipeline.js';
import { FfmpegFrameSource } from '../video/ffmpeg-source.js';
import { probeInput } from '../video/probe.js';
import { Progress } from './progress.js';
import { detectSize } from '../camera/detect-size.js';

export interface AnalyzeOptions {
  readonly input: string;
  readonly config: Config;
  /** Camera whose settings apply; default the first. */
  readonly cameraName?: string;
  /** Project root, against which relative model and storage paths resolve. */
  readonly root: string;
  readonly logger: Logger;
  /** Called with each stored event, in order. */
  readonly onEvent: (e: AgentEvent, snapshotPath: string | null) => void;
  /** Called with every ended track's explanation. */
  readonly onReport?: (r: TrackReport) => void;
  /** Progress line sink (stderr); null for none. */
  readonly progress?: ((line: string) => void) | null;
  readonly motionGating?: boolean;
}

export interface AnalyzeSummary {
  readonly frames: number;
  readonly events: number;
  readonly tracks: number;
  readonly seconds: number;
  readonly runtime: string;
}

export async function analyze(opts: AnalyzeOptions): Promise<AnalyzeSummary> {
  const started = performance.now();
  const camera = pickCamera(opts.config, opts.cameraName);
  const probe = await probeInput(opts.input);
  const size = detectSize(camera, probe.width, probe.height);
  const log = opts.logger.child({ camera: camera.name });
  const modelDir = resolve(opts.root, opts.config.detector.model);
  const d = opts.config.detector;
  const { detector, note } = await WorkerDetector.start({ modelDir, runtime: d.runtime, minScore: d.minScore, threads: d.threads });
  log.info({ model: detector.info.name, version: detector.info.version, runtime: detector.info.runtime, note }, 'detector ready');
  const store = new EventStore({ dbPath: resolve(opts.root, opts.config.storage.db), snapshotDir: resolve(opts.root, opts.config.storage.snapshots) });
  const baseMs = Date.now();
  try {
    store.open();
    const save = async (t: ConfirmedTrack): Promise<void> => {
      const event = await recordEvent(store, t, detector.info.version, baseMs);
      // Analysed files are not live alerts: never forwarded if a daemon later shares this database.
      store.keepLocal(event.id, 'recorded by analyze');
      opts.onEvent(event, store.snapshotPath(event));
    };
    const pipeline = new CameraPipeline(camera, opts.config, detector, size, save, opts.onReport, { motionGating: opts.motionGating ?? true });
    const source = new FfmpegFrameSource({ input: opts.input, width: size.width, height: size.height, fps: camera.detect.fps, logger: log });
    const progress = new Progress(opts.progress ?? null, probe.durationS ? Math.round(probe.durationS * camera.detect.fps) : undefined);
    for await (const frame of source.frames()) {
      await pipeline.process(frame);
      progress.tick(pipeline.stats(), detector.stats());
    }
    await pipeline.finish();
    progress.done(pipeline.stats(), detector.stats());
    const s = pipeline.stats();
    return { frames: s.frames, events: s.events, tracks: s.tracks, seconds: (performance.now() - started) / 1000, runtime: detector.info.runtime };
  } finally {
    store.close();
    await detector.close();
  }
}

function pickCamera(config: Config, name: string | undefined): CameraConfig {
  const cam = name === undefined ? config.cameras[0] : config.cameras.find((c) => c.name === name);
  if (!cam) {
    throw new AgentError('CONFIG_INVALID', `no camera named "${name}" in the config`, { hint: `cameras: ${config.cameras.map((c) => c.name).join(', ')}` });
  }
  return cam;
}

