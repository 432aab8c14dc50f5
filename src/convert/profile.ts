/**
 * ORT profiling: runs a model with enableProfiling and sums kernel time per
 * op type, to see which kernels ORT really chose (QLinearConv vs Conv) and
 * where the time goes.
 */
import { readFileSync, rmSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { ONNX_INPUT } from './centernet.js';
import { openSession } from './ort-session.js';

interface ProfileEvent {
  readonly cat?: string;
  readonly name?: string;
  readonly dur?: number;
  readonly args?: { readonly op_name?: string; readonly provider?: string };
}

export interface OpTime {
  readonly op: string;
  readonly nodes: number;
  /** Mean ms per inference. */
  readonly ms: number;
}

/** Kernel time per op type, from an ORT profile JSON (µs durations, `runs` inferences). */
export function summarizeProfile(events: readonly ProfileEvent[], runs: number): OpTime[] {
  const byOp = new Map<string, { us: number; names: Set<string> }>();
  for (const e of events) {
    if (e.cat !== 'Node' || !e.name?.endsWith('_kernel_time') || !e.args?.op_name) continue;
    const entry = byOp.get(e.args.op_name) ?? { us: 0, names: new Set<string>() };
    entry.us += e.dur ?? 0;
    entry.names.add(e.name);
    byOp.set(e.args.op_name, entry);
  }
  return [...byOp].map(([op, v]) => ({ op, nodes: v.names.size, ms: v.us / 1000 / runs })).sort((a, b) => b.ms - a.ms);
}

/** Profiles `runs` inferences (after one warm-up) of a model with a real input. */
export async function profileModel(model: string, input: Float32Array, size: number, threads: number, runs: number, prefix: string): Promise<OpTime[]> {
  const session = await openSession(model, { threads, profilePrefix: prefix });
  const feeds = { [ONNX_INPUT]: new ort.Tensor('float32', input, [1, 3, size, size]) };
  await session.run(feeds);
  for (let i = 0; i < runs; i++) await session.run(feeds);
  session.endProfiling();
  await session.release();
  const file = await newestProfile(prefix);
  const events = JSON.parse(readFileSync(file, 'utf8')) as ProfileEvent[];
  rmSync(file);
  // The warm-up run is in the profile too.
  return summarizeProfile(events, runs + 1);
}

async function newestProfile(prefix: string): Promise<string> {
  const dir = dirname(prefix) || '.';
  const names = (await readdir(dir)).filter((n) => n.startsWith(basename(prefix)) && n.endsWith('.json')).sort();
  const last = names.at(-1);
  if (!last) throw new Error(`no ORT profile written with prefix ${prefix}`);
  return join(dir, last);
}

export function formatProfile(times: readonly OpTime[], top = 12): string[] {
  const total = times.reduce((s, t) => s + t.ms, 0);
  return [
    `  kernel time ${total.toFixed(1)} ms per inference:`,
    ...times.slice(0, top).map((t) => `    ${t.op.padEnd(22)} ${String(t.nodes).padStart(4)} nodes ${t.ms.toFixed(2).padStart(7)} ms ${((100 * t.ms) / total).toFixed(1).padStart(5)} %`),
  ];
}
