/**
 * One runtime of `npm run bench:detector`, in its own process so that its
 * peak RSS is its own: loads the shared inputs file, opens the model, warms
 * up, then runs every input once (timing each call) and prints one JSON
 * line with the timings and the detections at or above the report's floor.
 *   node dist/bench/detectors-child.js SPEC_JSON
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelInput } from '../src/convert/frames.js';
import { loadManifest } from '../src/detector/manifest.js';
import { openSession, runRgb } from '../src/convert/ort-session.js';
import { loadTfjsReference } from '../src/convert/tfjs-reference.js';
import { DETECTION_FIELDS } from '../src/convert/centernet.js';
import type { ChildResult, ChildSpec } from './detectors-result.js';
import { spread } from './stats.js';

/** Untimed calls first: the first runs pack weights and build kernels. */
const WARMUP = 3;

type Run = (input: ModelInput) => Promise<Float32Array>;

async function openRuntime(spec: ChildSpec): Promise<{ run: Run; close: () => Promise<void>; note: string }> {
  const { dir, manifest } = loadManifest(spec.modelDir);
  const graph = join(dir, manifest.graph);
  if (spec.runtime === 'ort') {
    const session = await openSession(graph, { threads: spec.threads });
    return { run: async (i) => (await runRgb(session, i.rgb, i.size, ['detections'])).detections!, close: () => session.release(), note: `onnxruntime, ${spec.threads} intra-op thread(s)` };
  }
  // tfjs-node throws "Cannot find module" where its native binding is not installed: reported as not available.
  const reference = await loadTfjsReference(dir, manifest.graph, manifest.input.width, undefined, spec.runtime === 'tfjs-node' ? 'tensorflow' : 'wasm');
  return { run: async (i) => (await reference.run(i.rgb, i.size)).detections, close: async () => {}, note: `tfjs ${reference.backend} backend` };
}

/** Rows at or above `floor` only: the report never looks lower, and the JSON stays small. */
function keepRows(rows: Float32Array, floor: number): number[] {
  const out: number[] = [];
  for (let i = 0; i + DETECTION_FIELDS <= rows.length; i += DETECTION_FIELDS) {
    if (rows[i + 4]! >= floor) for (let k = 0; k < DETECTION_FIELDS; k++) out.push(rows[i + k]!);
  }
  return out;
}

function readInputs(file: string, size: number, count: number): ModelInput[] {
  const bytes = readFileSync(file);
  const each = size * size * 3;
  if (bytes.length !== each * count) throw new Error(`${file}: ${bytes.length} bytes, expected ${count} inputs of ${size}x${size} RGB`);
  return Array.from({ length: count }, (_, k) => ({ label: `input ${k}`, size, rgb: new Uint8Array(bytes.buffer, bytes.byteOffset + k * each, each) }));
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2] ?? '') as ChildSpec;
  const inputs = readInputs(spec.inputsFile, spec.size, spec.inputs);
  const t0 = performance.now();
  const rt = await openRuntime(spec);
  const startS = (performance.now() - t0) / 1000;
  try {
    for (let i = 0; i < WARMUP; i++) await rt.run(inputs[i % inputs.length]!);
    const ms: number[] = [];
    const detections: number[][] = [];
    for (const input of inputs) {
      const c0 = performance.now();
      const rows = await rt.run(input);
      ms.push(performance.now() - c0);
      detections.push(keepRows(rows, spec.floor));
    }
    const s = spread(ms);
    const result: ChildResult = { note: rt.note, startS, runs: ms.length, medianMs: s.median, p90Ms: s.p90, peakRssMiB: process.resourceUsage().maxRSS / 1024, detections };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await rt.close();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).message.split('\n')[0]}\n`);
  process.exit(1);
});
