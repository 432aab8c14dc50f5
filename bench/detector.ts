/**
 * Detector latency per runtime: one 512x512 region per call on real frames,
 * round trip through the worker (frame copy, postMessage, inference, reply)
 * against the worker's own busy time from detector.stats().
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Box, Frame } from '../src/core/types.js';
import { WorkerDetector } from '../src/detector/worker-detector.js';
import { memory, spread, type MemorySample, type Spread } from './stats.js';

export type Runtime = 'onnxruntime' | 'tfjs-wasm' | 'tfjs-node';

/** The worker picks onnxruntime for ONNX model folders; the tfjs rows name their backend. */
function workerRuntime(runtime: Runtime): 'auto' | 'tfjs-wasm' | 'tfjs-node' {
  return runtime === 'onnxruntime' ? 'auto' : runtime;
}

/** Untimed calls before timing: the first call at a new frame size builds its tensors and kernels. */
const WARMUP_CALLS = 2;
const REGION: readonly Box[] = [[0, 0, 512, 512]];

export interface DetectorRun {
  readonly runtime: Runtime;
  readonly available: true;
  readonly model: string;
  /** WorkerDetector.start(): worker boot, checksums, model load and the worker's own warm-up, s. */
  readonly startS: number;
  readonly calls: number;
  /** Round trip of detect() as the pipeline sees it, ms. */
  readonly roundTripMs: Spread;
  /** Time inside the runtime per call (preprocess + inference + decode), ms, from detector.stats(). */
  readonly busyMs: Spread;
  /** Process RSS after start minus before: the worker's isolate, tfjs, the wasm heap and the model. */
  readonly workerStartRssMiB: number;
  readonly memory: MemorySample;
}

export interface DetectorMissing {
  readonly runtime: Runtime;
  readonly available: false;
  readonly reason: string;
}

export type DetectorResult = DetectorRun | DetectorMissing;

/** Whether `require('@tensorflow/tfjs-node')` loads from the project, and why not. */
export function tfjsNodeProblem(root: string): string | null {
  try {
    createRequire(join(root, 'package.json'))('@tensorflow/tfjs-node');
    return null;
  } catch (e) {
    return (e as Error).message.split('\n')[0] ?? String(e);
  }
}

export async function benchDetector(runtime: Runtime, modelDir: string, frames: readonly Frame[], calls: number): Promise<DetectorResult> {
  if (frames.length === 0) throw new Error('no frames decoded for the detector phase');
  const before = memory().rssMiB;
  const t0 = performance.now();
  let started: Awaited<ReturnType<typeof WorkerDetector.start>>;
  try {
    started = await WorkerDetector.start({ modelDir, runtime: workerRuntime(runtime), minScore: 0.3 });
  } catch (e) {
    // onnxruntime and tfjs-wasm ship with the agent: their failure is the bench's failure, not a missing option.
    if (runtime !== 'tfjs-node') throw e;
    return { runtime, available: false, reason: (e as Error).message };
  }
  const { detector } = started;
  if (detector.info.runtime !== runtime) {
    await detector.close();
    throw new Error(`${modelDir} ran on ${detector.info.runtime}, not ${runtime}: the row would be mislabelled`);
  }
  const startS = (performance.now() - t0) / 1000;
  const workerStartRssMiB = memory().rssMiB - before;
  try {
    for (let i = 0; i < WARMUP_CALLS; i++) await detector.detect(frames[i % frames.length]!, REGION);
    const roundTrip: number[] = [];
    const busy: number[] = [];
    for (let i = 0; i < calls; i++) {
      const busyBefore = detector.stats().busyMs;
      const c0 = performance.now();
      await detector.detect(frames[i % frames.length]!, REGION);
      roundTrip.push(performance.now() - c0);
      busy.push(detector.stats().busyMs - busyBefore);
    }
    const model = `${detector.info.name} ${detector.info.version}`;
    return { runtime, available: true, model, startS, calls, roundTripMs: spread(roundTrip), busyMs: spread(busy), workerStartRssMiB, memory: memory() };
  } finally {
    await detector.close();
  }
}
