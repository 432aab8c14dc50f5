/**
 * onnxruntime-node sessions for conversion checks, calibration and timing.
 * Threads are explicit and spinning is off (a spinning pool burns the
 * gateway's other core while it waits); 'all' optimisations turn QDQ groups
 * into int8 kernels and convs into NCHWc blocks.
 */
import * as ort from 'onnxruntime-node';
import { toNchw } from './frames.js';
import { ONNX_INPUT } from './centernet.js';

export interface SessionConfig {
  /** Intra-op threads (1 or 2 on a gateway). */
  readonly threads: number;
  /** Write an ORT profile (JSON) with this file prefix. */
  readonly profilePrefix?: string;
  /** Save the optimised graph ORT actually runs, to inspect fusions. */
  readonly optimizedModelPath?: string;
  readonly optimization?: 'disabled' | 'basic' | 'extended' | 'all';
}

export function sessionOptions(c: SessionConfig): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: ['cpu'],
    graphOptimizationLevel: c.optimization ?? 'all',
    intraOpNumThreads: c.threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    // Flattened by the Node binding into the config key "session.intra_op.allow_spinning".
    extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
    ...(c.profilePrefix ? { enableProfiling: true, profileFilePrefix: c.profilePrefix } : {}),
    // ORT warns that a saved NCHWc-optimized graph is machine specific: expected here, it is only inspected.
    ...(c.optimizedModelPath ? { optimizedModelFilePath: c.optimizedModelPath, logSeverityLevel: 3 as const } : {}),
  };
}

export async function openSession(model: string | Uint8Array, c: SessionConfig): Promise<ort.InferenceSession> {
  const options = sessionOptions(c);
  return typeof model === 'string' ? ort.InferenceSession.create(model, options) : ort.InferenceSession.create(model, options);
}

export function feedsFor(input: { readonly rgb: Uint8Array; readonly size: number }): Record<string, ort.Tensor> {
  return { [ONNX_INPUT]: new ort.Tensor('float32', toNchw(input.rgb, input.size), [1, 3, input.size, input.size]) };
}

/** Runs one RGB input; returns the named outputs as float32 arrays. */
export async function runRgb(session: ort.InferenceSession, rgb: Uint8Array, size: number, outputs?: readonly string[]): Promise<Record<string, Float32Array>> {
  const images = new ort.Tensor('float32', toNchw(rgb, size), [1, 3, size, size]);
  const feeds = { [ONNX_INPUT]: images };
  const result = outputs ? await session.run(feeds, [...outputs]) : await session.run(feeds);
  const out: Record<string, Float32Array> = {};
  for (const [name, t] of Object.entries(result)) {
    if (t.type !== 'float32') throw new Error(`output ${name} is ${t.type}, expected float32`);
    out[name] = t.data as Float32Array;
  }
  return out;
}
