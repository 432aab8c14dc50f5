/**
 * `npm run bench:detector`: every detector runtime on the same real inputs,
 * side by side in one run: TFJS (wasm; tfjs-node where it loads), ORT fp32
 * and ORT int8 on 1 and 2 threads: ms per inference (median, p90), start
 * time, peak RSS; then accuracy: detection agreement between each pair
 * (IoU >= 0.5, same label) and person recall of each against ORT fp32,
 * beside a noise floor: ORT fp32 against itself on the same inputs after a
 * JPEG q95 round trip (what any camera's compression does to a frame), so the
 * int8 figures read against what fp32 does under invisible noise.
 * Each runtime runs in its own child process, one after another (2 cores:
 * anything in parallel skews the timings), so its peak RSS is its own.
 *   node dist/bench/detectors.js [--inputs N] [--json]
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import sharp from 'sharp';
import { DEFAULT_RULE } from '../src/convert/agreement.js';
import { timeOnnxModels } from '../src/convert/bench.js';
import { buildInputs, type ModelInput } from '../src/convert/frames.js';
import { EVAL_SET, FOOTAGE } from '../src/convert/frame-sets.js';
import { loadManifest } from '../src/detector/manifest.js';
import { agreement, recall, TARGETS, type ChildResult, type ChildSpec, type DetectorsReport, type RuntimeKind, type RuntimeRow } from './detectors-result.js';
import { renderDetectors } from './detectors-report.js';
import { findRoot } from './options.js';

const run = promisify(execFile);
const say = (line: string): void => void process.stderr.write(`bench:detector: ${line}\n`);

interface Plan {
  readonly id: string;
  readonly label: string;
  readonly runtime: RuntimeKind;
  readonly model: string;
  readonly threads: number;
  /** Set when this row cannot be measured at all here. */
  readonly skip?: string;
}

const MODELS = { tfjs: 'models/centernet-coco', fp32: 'models/centernet-coco-onnx', int8: 'models/centernet-coco-int8' } as const;
/** Row labels that the accuracy section refers to: fp32 is the reference of every comparison. */
const FP32 = 'ort fp32';
const INT8 = 'ort int8';
/** fp32 on the inputs after a JPEG round trip at this quality: the accuracy section's noise floor. */
const NOISE_JPEG_QUALITY = 95;
const FP32_NOISE = `ort fp32 jpeg${NOISE_JPEG_QUALITY}`;
const WASM_THREADS = 'tfjs-backend-wasm runs single-threaded in Node (WASM_HAS_MULTITHREAD_SUPPORT is false)';

function plans(): Plan[] {
  const out: Plan[] = [];
  for (const threads of [1, 2]) {
    out.push({ id: `tfjs-wasm/${threads}`, label: 'tfjs wasm', runtime: 'tfjs-wasm', model: MODELS.tfjs, threads, ...(threads > 1 ? { skip: WASM_THREADS } : {}) });
    out.push({ id: `tfjs-node/${threads}`, label: 'tfjs-node', runtime: 'tfjs-node', model: MODELS.tfjs, threads, ...(threads > 1 ? { skip: 'measured once (tfjs-node sizes its own pool)' } : {}) });
    out.push({ id: `ort-fp32/${threads}`, label: FP32, runtime: 'ort', model: MODELS.fp32, threads });
    out.push({ id: `ort-int8/${threads}`, label: INT8, runtime: 'ort', model: MODELS.int8, threads });
  }
  return out;
}

async function runChild(root: string, spec: ChildSpec): Promise<ChildResult> {
  const { stdout } = await run(process.execPath, [join(root, 'dist/bench/detectors-child.js'), JSON.stringify(spec)], { cwd: root, maxBuffer: 64 * 2 ** 20 });
  return JSON.parse(stdout) as ChildResult;
}


async function measure(root: string, count: number, tmp: string): Promise<DetectorsReport> {
  const size = loadManifest(join(root, MODELS.int8)).manifest.input.width;
  say(`building ${count} inputs at ${size}x${size} from ${FOOTAGE} (held-out frames, whole and cropped)`);
  const inputs = (await buildInputs({ ...EVAL_SET, video: join(root, FOOTAGE) }, size)).slice(0, count);
  const inputsFile = join(tmp, 'inputs.rgb');
  writeFileSync(inputsFile, Buffer.concat(inputs.map((i) => i.rgb)));
  const rows: RuntimeRow[] = [];
  const detections = new Map<string, readonly (readonly number[])[]>();
  for (const p of plans()) {
    const base = { id: p.id, label: p.label, runtime: p.runtime, model: p.model, threads: p.threads };
    if (p.skip) {
      rows.push({ ...base, result: null, missing: p.skip });
      continue;
    }
    say(`${p.label}, ${p.threads} thread(s): ${inputs.length} inferences`);
    try {
      const r = await runChild(root, { runtime: p.runtime, modelDir: join(root, p.model), threads: p.threads, inputsFile, inputs: inputs.length, size, floor: DEFAULT_RULE.minScore - DEFAULT_RULE.margin });
      const { detections: d, ...result } = r;
      if (p.threads === 1) detections.set(p.label, d);
      rows.push({ ...base, result, missing: null });
    } catch (e) {
      if (p.runtime !== 'tfjs-node') throw e;
      const reason = ((e as { stderr?: string }).stderr ?? (e as Error).message).trim().split('\n')[0] ?? 'failed';
      rows.push({ ...base, result: null, missing: `not available: ${reason}` });
    }
  }
  say(`${FP32_NOISE}: ort fp32, 1 thread, on the inputs after a JPEG q${NOISE_JPEG_QUALITY} round trip (the noise floor)`);
  const noisyFile = join(tmp, 'inputs-jpeg.rgb');
  writeFileSync(noisyFile, Buffer.concat(await Promise.all(inputs.map((i) => jpegRoundTrip(i, NOISE_JPEG_QUALITY)))));
  const noisy = await runChild(root, { runtime: 'ort', modelDir: join(root, MODELS.fp32), threads: 1, inputsFile: noisyFile, inputs: inputs.length, size, floor: DEFAULT_RULE.minScore - DEFAULT_RULE.margin });
  detections.set(FP32_NOISE, noisy.detections);
  say(`ort fp32 and int8 interleaved call by call in one process, 1 and 2 threads: ${INTERLEAVED_RUNS} inferences each`);
  const interleaved = await interleavedRatios(root, inputs);
  return { size, inputs: inputs.length, source: FOOTAGE, loadAverage: loadavg()[0]!, rows, ...accuracy(detections), ratios: ratios(rows), interleaved, targets: TARGETS };
}

/** The input's RGB bytes after JPEG encoding at `quality` and decoding again. */
async function jpegRoundTrip(input: ModelInput, quality: number): Promise<Buffer> {
  const raw = { width: input.size, height: input.size, channels: 3 } as const;
  const jpeg = await sharp(Buffer.from(input.rgb.buffer, input.rgb.byteOffset, input.rgb.byteLength), { raw }).jpeg({ quality }).toBuffer();
  const { data, info } = await sharp(jpeg).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  if (info.width !== input.size || info.height !== input.size || info.channels !== 3) throw new Error(`JPEG round trip gave ${info.width}x${info.height}x${info.channels}`);
  return data;
}

/** Inferences per model and thread count in the interleaved run. */
const INTERLEAVED_RUNS = 60;

/**
 * The per-process rows run one after another, so a change of machine speed
 * between them (a shared VM) lands on one side of a ratio. Interleaving fp32
 * and int8 call by call in one process makes any such change hit both alike.
 */
async function interleavedRatios(root: string, inputs: readonly ModelInput[]): Promise<DetectorsReport['interleaved']> {
  const graph = (dir: string) => {
    const m = loadManifest(join(root, dir));
    return join(m.dir, m.manifest.graph);
  };
  const models = [{ label: 'fp32', model: graph(MODELS.fp32) }, { label: 'int8', model: graph(MODELS.int8) }];
  const out: { threads: number; fp32Ms: number; int8Ms: number; ratio: number }[] = [];
  for (const threads of [1, 2]) {
    const [fp32, int8] = await timeOnnxModels(models, inputs, threads, INTERLEAVED_RUNS);
    out.push({ threads, fp32Ms: fp32!.medianMs, int8Ms: int8!.medianMs, ratio: fp32!.medianMs / int8!.medianMs });
  }
  return out;
}

function accuracy(detections: Map<string, readonly (readonly number[])[]>): Pick<DetectorsReport, 'agreement' | 'recall'> {
  const fp32 = detections.get(FP32);
  if (!fp32) throw new Error('no ORT fp32 detections: the reference of every accuracy column');
  const others = [...detections.keys()].filter((k) => k !== FP32);
  const pairs = others.map((k): [string, string] => [k, FP32]);
  if (detections.has(INT8)) for (const k of others.filter((o) => o.startsWith('tfjs'))) pairs.push([INT8, k]);
  return {
    agreement: pairs.map(([a, b]) => agreement(a, b, detections.get(a)!, detections.get(b)!, DEFAULT_RULE)),
    recall: others.map((k) => recall(k, fp32, detections.get(k)!, DEFAULT_RULE)),
  };
}

function ratios(rows: readonly RuntimeRow[]): DetectorsReport['ratios'] {
  const ms = (id: string) => rows.find((r) => r.id === id)?.result?.medianMs;
  const int8VsFp32: Record<string, number> = {};
  for (const t of [1, 2]) {
    const a = ms(`ort-fp32/${t}`);
    const b = ms(`ort-int8/${t}`);
    if (a && b) int8VsFp32[`${t}`] = a / b;
  }
  const wasm = ms('tfjs-wasm/1');
  const int8 = ms('ort-int8/1');
  return { int8VsFp32, int8VsTfjsWasm: wasm && int8 ? wasm / int8 : null };
}

function parse(argv: readonly string[]): { inputs: number; json: boolean } {
  const { values } = parseArgs({ args: [...argv], options: { inputs: { type: 'string', default: '80' }, json: { type: 'boolean', default: false }, help: { type: 'boolean', default: false } }, strict: true });
  if (values.help) {
    process.stderr.write('usage: node dist/bench/detectors.js [--inputs N (default 80, at most 80)] [--json]\n');
    process.exit(0);
  }
  const inputs = Number(values.inputs);
  if (!Number.isInteger(inputs) || inputs < 4 || inputs > 80) throw new RangeError(`--inputs must be an integer from 4 to 80, got "${values.inputs}"`);
  return { inputs, json: values.json };
}

async function main(): Promise<void> {
  const root = findRoot(import.meta.url);
  const opts = parse(process.argv.slice(2));
  const tmp = await mkdtemp(join(tmpdir(), 'edge-agent-bench-detectors-'));
  try {
    const report = await measure(root, opts.inputs, tmp);
    process.stdout.write(opts.json ? `${JSON.stringify(report)}\n` : renderDetectors(report));
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench:detector: error: ${(e as Error).message}\n`);
  process.exit(1);
});
