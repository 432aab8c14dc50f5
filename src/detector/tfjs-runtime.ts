/**
 * TensorFlow.js inside the detector worker: tfjs-node when its native binding
 * loads, else pure tfjs with the wasm backend (whose .wasm files ship in the
 * npm package, so nothing is fetched). Model files are read from disk through
 * an IO handler, never fetched.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type * as TF from '@tensorflow/tfjs';
import { AgentError } from '../core/errors.js';
import type { Box, Detection } from '../core/types.js';
import { decodeOutputs } from './decode.js';
import { outputNames } from './manifest.js';
import type { ModelManifest } from './manifest.js';

const require = createRequire(import.meta.url);
type Tf = typeof TF;

export interface TfjsRuntime {
  readonly name: 'tfjs-node' | 'tfjs-wasm';
  /** Why this runtime was chosen, for the log. */
  readonly note: string;
  detect(rgb: Uint8Array, width: number, height: number, regions: readonly Box[]): Promise<Detection[][]>;
}

export async function createTfjsRuntime(
  dir: string,
  manifest: ModelManifest,
  want: 'auto' | 'tfjs-node' | 'tfjs-wasm',
  minScore: number,
): Promise<TfjsRuntime> {
  const { tf, name, note } = await loadTf(want);
  const model = await loadGraph(tf, dir, manifest);
  const detect = (rgb: Uint8Array, width: number, height: number, regions: readonly Box[]) =>
    runRegions(tf, model, manifest, minScore, { rgb, width, height }, regions);
  await warmUp(detect, manifest);
  return { name, note, detect };
}

async function loadTf(want: 'auto' | 'tfjs-node' | 'tfjs-wasm'): Promise<{ tf: Tf; name: TfjsRuntime['name']; note: string }> {
  if (want !== 'tfjs-wasm') {
    try {
      const tf = require('@tensorflow/tfjs-node') as Tf;
      return { tf, name: 'tfjs-node', note: 'tfjs-node native binding loaded' };
    } catch (e) {
      if (want === 'tfjs-node') {
        throw new AgentError('MODEL_LOAD_FAILED', `detector.runtime is tfjs-node but it does not load: ${(e as Error).message.split('\n')[0]}`, {
          hint: 'use runtime: auto or tfjs-wasm',
        });
      }
    }
  }
  const tf = require('@tensorflow/tfjs') as Tf;
  require('@tensorflow/tfjs-backend-wasm');
  const ok = await tf.setBackend('wasm');
  if (!ok) throw new AgentError('MODEL_LOAD_FAILED', 'the tfjs wasm backend failed to initialise');
  await tf.ready();
  return { tf, name: 'tfjs-wasm', note: want === 'auto' ? 'tfjs-node not available, using tfjs with the wasm backend' : 'wasm backend as configured' };
}

async function loadGraph(tf: Tf, dir: string, manifest: ModelManifest): Promise<TF.GraphModel> {
  try {
    const json = JSON.parse(readFileSync(join(dir, manifest.graph), 'utf8')) as {
      modelTopology: object;
      weightsManifest: { paths: string[]; weights: TF.io.WeightsManifestEntry[] }[];
      format?: string;
      signature?: object;
    };
    const groups = json.weightsManifest;
    const buffers = groups.flatMap((g) => g.paths.map((p) => readFileSync(join(dir, p))));
    const weightData = Buffer.concat(buffers);
    const artifacts: TF.io.ModelArtifacts = {
      modelTopology: json.modelTopology,
      weightSpecs: groups.flatMap((g) => g.weights),
      weightData: weightData.buffer.slice(weightData.byteOffset, weightData.byteOffset + weightData.byteLength),
      format: json.format ?? 'graph-model',
      ...(json.signature ? { signature: json.signature } : {}),
    };
    return await tf.loadGraphModel(tf.io.fromMemory(artifacts));
  } catch (e) {
    throw new AgentError('MODEL_LOAD_FAILED', `model ${manifest.name} in ${dir} failed to load: ${(e as Error).message.split('\n')[0]}`, {
      hint: 'the model files pass their checksums, so the manifest may not match the graph',
    });
  }
}

interface RawFrame {
  readonly rgb: Uint8Array;
  readonly width: number;
  readonly height: number;
}

async function runRegions(
  tf: Tf,
  model: TF.GraphModel,
  manifest: ModelManifest,
  minScore: number,
  frame: RawFrame,
  regions: readonly Box[],
): Promise<Detection[][]> {
  const results: Detection[][] = [];
  const { width: iw, height: ih } = manifest.input;
  const image = tf.tidy(() => tf.tensor4d(frame.rgb, [1, frame.height, frame.width, 3], 'int32').toFloat()) as TF.Tensor4D;
  try {
    for (const region of regions) {
      const names = outputNames(manifest);
      const outputs = tf.tidy(() => {
        const crop = cropResize(tf, image, region, frame, iw, ih);
        const out = model.execute(prepare(tf, crop, manifest), names);
        return Array.isArray(out) ? out : [out];
      });
      const tensors = Object.fromEntries(await Promise.all(outputs.map(async (t, i) => [names[i]!, { data: await t.data(), dims: t.shape }] as const)));
      tf.dispose(outputs);
      results.push(decodeOutputs(tensors, manifest, { region, minScore }));
    }
  } finally {
    image.dispose();
  }
  return results;
}

/**
 * Slice then resize. Not tf.image.cropAndResize: in tfjs-backend-wasm 4.22 it
 * returns zeros for a 512x512 crop size (measured: 64x64 and 256x256 are right).
 */
function cropResize(tf: Tf, image: TF.Tensor4D, b: Box, f: RawFrame, iw: number, ih: number): TF.Tensor4D {
  const x1 = Math.max(0, Math.min(f.width - 1, Math.round(b[0])));
  const y1 = Math.max(0, Math.min(f.height - 1, Math.round(b[1])));
  const w = Math.max(1, Math.min(f.width - x1, Math.round(b[2] - b[0])));
  const h = Math.max(1, Math.min(f.height - y1, Math.round(b[3] - b[1])));
  const crop = tf.slice(image, [0, y1, x1, 0], [1, h, w, 3]);
  return w === iw && h === ih ? crop : tf.image.resizeBilinear(crop, [ih, iw]);
}

function prepare(tf: Tf, crop: TF.Tensor4D, manifest: ModelManifest): TF.Tensor {
  const { scale, mean, std, channels, layout } = manifest.input;
  let x: TF.Tensor = crop;
  if (channels === 'BGR') x = tf.reverse(x, -1);
  const identity = scale === 1 && mean.every((m) => m === 0) && std.every((s) => s === 1);
  if (!identity) x = tf.div(tf.sub(tf.mul(x, scale), tf.tensor1d(mean)), tf.tensor1d(std));
  if (layout === 'NCHW') x = tf.transpose(x, [0, 3, 1, 2]);
  return x;
}

/** The first inference compiles kernels (hundreds of ms); do it before reporting ready. */
async function warmUp(detect: TfjsRuntime['detect'], manifest: ModelManifest): Promise<void> {
  const { width, height } = manifest.input;
  await detect(new Uint8Array(width * height * 3), width, height, [[0, 0, width, height]]);
}
