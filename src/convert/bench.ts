/**
 * Inference timing on real inputs: ms per call (median, p90) for an ONNX
 * model in ORT at 1 or 2 intra-op threads, and for the TFJS reference on the
 * wasm backend. Warm-up calls first: the first runs allocate and pack weights.
 */
import { loadavg } from 'node:os';
import type { ModelInput } from './frames.js';
import { feedsFor, openSession } from './ort-session.js';
import { loadTfjsReference } from './tfjs-reference.js';
import { loadManifest } from '../detector/manifest.js';
import { rescaleSizeConsts } from './size-consts.js';
import { readTfjsGraph } from './tfjs-graph.js';

export interface Timing {
  readonly label: string;
  readonly threads: number;
  readonly medianMs: number;
  readonly p90Ms: number;
  readonly runs: number;
}

const WARMUP = 3;

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function timing(label: string, threads: number, ms: number[]): Timing {
  const sorted = [...ms].sort((a, b) => a - b);
  return { label, threads, medianMs: percentile(sorted, 50), p90Ms: percentile(sorted, 90), runs: ms.length };
}

export interface OnnxEntry {
  readonly label: string;
  readonly model: string | Uint8Array;
}

/**
 * Times several ONNX models on the same inputs, interleaved call by call, so
 * that other load on the machine (other jobs share these 2 cores) hits every
 * model alike instead of whichever happened to run at the time.
 */
export async function timeOnnxModels(entries: readonly OnnxEntry[], inputs: readonly ModelInput[], threads: number, runs: number): Promise<Timing[]> {
  const sessions = await Promise.all(entries.map((e) => openSession(e.model, { threads })));
  try {
    const feeds = inputs.map(feedsFor);
    for (const s of sessions) for (let i = 0; i < WARMUP; i++) await s.run(feeds[i % feeds.length]!);
    const ms = entries.map(() => [] as number[]);
    for (let i = 0; i < runs; i++) {
      for (const [k, s] of sessions.entries()) {
        const t0 = performance.now();
        await s.run(feeds[i % feeds.length]!);
        ms[k]!.push(performance.now() - t0);
      }
    }
    return entries.map((e, k) => timing(e.label, threads, ms[k]!));
  } finally {
    await Promise.all(sessions.map((s) => s.release()));
  }
}

/** TFJS wasm as the agent runs it today (single-threaded wasm in Node), at `size` (rescaled graph if not its own). */
export async function timeTfjs(modelDir: string, size: number, inputs: readonly ModelInput[], runs: number): Promise<Timing> {
  const { dir, manifest } = loadManifest(modelDir);
  const own = manifest.input.width;
  const sized = own === size ? undefined : rescaleSizeConsts(readTfjsGraph(dir, manifest.graph), own, size).graph;
  const reference = await loadTfjsReference(dir, manifest.graph, size, sized);
  for (let i = 0; i < WARMUP; i++) await reference.run(inputs[i % inputs.length]!.rgb, size);
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await reference.run(inputs[i % inputs.length]!.rgb, size);
    ms.push(performance.now() - t0);
  }
  return timing(`tfjs-${reference.backend}`, 1, ms);
}

export function formatTimings(rows: readonly Timing[], size: number): string[] {
  return [
    `timing at ${size}x${size} (ms per inference, ${rows[0]?.runs ?? 0} runs each, 1-min load average ${loadavg()[0]!.toFixed(2)}):`,
    '  model                 threads   median      p90',
    ...rows.map((r) => `  ${r.label.padEnd(20)} ${String(r.threads).padStart(7)} ${r.medianMs.toFixed(1).padStart(8)} ${r.p90Ms.toFixed(1).padStart(8)}`),
  ];
}
