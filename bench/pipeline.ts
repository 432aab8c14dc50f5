/**
 * `npm run bench`: decode-only fps, detector ms per inference per runtime,
 * pipeline fps with and without motion gating, and peak RSS, side by side in
 * one run on a reference clip (default: the walkway footage, first 20 s).
 * The table (or with --json one JSON object) goes to stdout, progress to stderr.
 * Phases run one after another: on a 2-core box anything in parallel skews them.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { defaultConfig } from '../src/config/load.js';
import type { CameraConfig } from '../src/config/schema.js';
import { isAgentError } from '../src/core/errors.js';
import { benchPipeline, type PipelineRun } from './analyze-run.js';
import { prepareClip, type BenchClip } from './clip.js';
import { decodeFfmpegOnly, decodeFrameSource } from './decode.js';
import { benchDetector, tfjsNodeProblem, type DetectorResult, type Runtime } from './detector.js';
import { othersCpuPct, sampleCpu } from './contention.js';
import { findRoot, parseOptions, USAGE, type BenchOptions } from './options.js';
import { computeRatios, type BenchResult, type PhaseMemory } from './result.js';
import { renderText } from './report.js';
import { memory } from './stats.js';

/** The TensorFlow.js model folder (the default model is the int8 quantization of its ONNX conversion). */
const TFJS_MODEL = 'models/centernet-coco';

/** Second pipeline row: 1280x720 is where gating's crops differ most from one whole-frame pass. */
const WIDE_CLIP = '.cache/clips/person-crossing.mp4';

const say = (line: string): void => void process.stderr.write(`bench: ${line}\n`);

async function main(): Promise<void> {
  const root = findRoot(import.meta.url);
  const opts = parseOptions(process.argv.slice(2), root);
  const tmp = await mkdtemp(join(tmpdir(), 'edge-agent-bench-'));
  try {
    const result = await runAll(opts, tmp);
    const ratios = computeRatios(result);
    process.stdout.write(opts.json ? `${JSON.stringify({ ...result, ratios }, roundNumbers)}\n` : renderText(result, ratios, opts.inferences));
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

async function runAll(opts: BenchOptions, tmp: string): Promise<BenchResult> {
  const config = defaultConfig();
  const camera = config.cameras[0]!;
  const date = new Date().toISOString();
  let cpu = sampleCpu();
  const phases: PhaseMemory[] = [{ phase: 'start', ...memory(), othersCpuPct: null }];
  const mark = (phase: string): void => {
    const now = sampleCpu();
    phases.push({ phase, ...memory(), othersCpuPct: othersCpuPct(cpu, now) });
    cpu = now;
  };
  const clip = await prepareClip(opts.clip, opts.seconds, tmp, camera);
  say(`clip ${clip.label}: ${clip.width}x${clip.height} @ ${clip.fps} fps, ${clip.durationS.toFixed(1)} s`);

  say('decode: ffmpeg only');
  const ffmpegOnly = await decodeFfmpegOnly(clip);
  mark('decode ffmpeg only');
  say('decode: frame source into node');
  const { result: frameSource, kept } = await decodeFrameSource(clip, opts.inferences);
  mark('decode frame source');

  const detector: DetectorResult[] = [];
  // The default model (int8 ONNX on onnxruntime) and the same network on TensorFlow.js.
  const rows: readonly [Runtime, string][] = [['onnxruntime', config.detector.model], ['tfjs-wasm', TFJS_MODEL]];
  for (const [runtime, model] of rows) {
    say(`detector ${runtime} (${model}): ${opts.inferences} calls`);
    detector.push(await benchDetector(runtime, resolve(opts.root, model), kept, opts.inferences));
    mark(`detector ${runtime}`);
  }
  const problem = tfjsNodeProblem(opts.root);
  if (problem === null) {
    say(`detector tfjs-node: ${opts.inferences} calls`);
    detector.push(await benchDetector('tfjs-node', resolve(opts.root, TFJS_MODEL), kept, opts.inferences));
    mark('detector tfjs-node');
  } else {
    say(`detector tfjs-node: not available (${problem})`);
    detector.push({ runtime: 'tfjs-node', available: false, reason: problem });
  }
  kept.length = 0;

  const pipeline = await pipelineRuns(opts, clip, tmp, camera, mark);
  const env = { node: process.version, platform: `${process.platform} ${process.arch}`, cpus: cpus().length, cpuModel: cpus()[0]?.model.trim() ?? 'unknown', date };
  const clipInfo = {
    label: clip.label, source: relative(opts.root, clip.source) || clip.source, codec: clip.probe.codec,
    sourceWidth: clip.probe.width, sourceHeight: clip.probe.height, sourceFps: clip.probe.fps ?? null,
    durationS: clip.durationS, width: clip.width, height: clip.height, fps: clip.fps,
  };
  return { env, clip: clipInfo, decode: { ffmpegOnly, frameSource }, detector, pipeline, memory: phases };
}

async function pipelineRuns(
  opts: BenchOptions,
  clip: BenchClip,
  tmp: string,
  camera: CameraConfig,
  mark: (phase: string) => void,
): Promise<PipelineRun[]> {
  const clips = [clip];
  const wide = join(opts.root, WIDE_CLIP);
  if (existsSync(wide) && resolve(wide) !== resolve(opts.clip)) clips.push(await prepareClip(wide, opts.seconds, tmp, camera));
  const runs: PipelineRun[] = [];
  for (const c of clips) {
    for (const gating of [true, false]) {
      const name = `pipeline ${c.label} ${gating ? 'gated' : 'ungated'}`;
      say(`${name} (${c.width}x${c.height}, ${Math.round(c.durationS * c.fps)} frames expected)`);
      const run = await benchPipeline(c, gating, opts.root, tmp);
      say(`${name}: ${run.frames} frames in ${run.seconds.toFixed(1)} s = ${run.fps.toFixed(2)} fps, ${run.events} events`);
      runs.push(run);
      mark(name);
    }
  }
  return runs;
}

/** JSON.stringify replacer: three decimals are past any precision these timings have. */
function roundNumbers(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isInteger(value) ? Math.round(value * 1000) / 1000 : value;
}

/** Operational errors as one line; bad flags with the usage; anything else with its stack. */
function describe(e: unknown): string {
  if (isAgentError(e)) return e.oneLine();
  const code = (e as { code?: unknown })?.code;
  if (e instanceof RangeError || (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS'))) return `${(e as Error).message}\n${USAGE}`;
  return e instanceof Error ? (e.stack ?? e.message) : String(e);
}

main().catch((e: unknown) => {
  process.stderr.write(`bench failed: ${describe(e)}\n`);
  process.exitCode = 1;
});
