/**
 * The TFJS graph model as the reference: the same runtime the agent uses
 * today (tfjs with the wasm backend), returning the raw heads and the
 * detections. At a size other than the one the model was built for, it runs
 * the same graph with the same rescaled constants as the converter.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type * as TF from '@tensorflow/tfjs';
import type { TfGraph } from './tfjs-graph.js';

const require = createRequire(import.meta.url);
type Tf = typeof TF;

export interface HeadsNhwc {
  /** [1, 100, 6]. */
  readonly detections: Float32Array;
  /** [1, S/4, S/4, 80]. */
  readonly keypoints: Float32Array;
  /** [1, S/4, S/4, 4]. */
  readonly wh: Float32Array;
}

export interface TfjsReference {
  readonly backend: string;
  run(rgb: Uint8Array, size: number): Promise<HeadsNhwc>;
}

export const TF_TENSORS = { input: 'tower_0/images', outputs: ['tower_0/detections', 'tower_0/keypoints', 'tower_0/wh'] } as const;

/** 'wasm' ships with the agent; 'tensorflow' is tfjs-node's native backend, only where that package installed. */
export type TfBackend = 'wasm' | 'tensorflow';

export async function loadTf(backend: TfBackend = 'wasm'): Promise<Tf> {
  if (backend === 'tensorflow') {
    const tf = require('@tensorflow/tfjs-node') as Tf;
    await tf.ready();
    return tf;
  }
  const tf = require('@tensorflow/tfjs') as Tf;
  require('@tensorflow/tfjs-backend-wasm');
  if (!(await tf.setBackend('wasm'))) throw new Error('the tfjs wasm backend failed to initialise');
  await tf.ready();
  return tf;
}

interface ModelJson {
  modelTopology: { node: { name: string; op: string; attr?: Record<string, unknown> }[] };
  weightsManifest: { paths: string[]; weights: TF.io.WeightsManifestEntry[] }[];
  format?: string;
  signature?: { inputs?: Record<string, { tensorShape?: { dim: { size: string }[] } }> };
}

/**
 * Loads `dir/graphFile`. With `sized` (a graph whose size constants were
 * rescaled for `size`), the weights come from it and the placeholder shape is
 * patched; without it, the files are loaded unchanged.
 */
export async function loadTfjsReference(dir: string, graphFile: string, size: number, sized?: TfGraph, backend: TfBackend = 'wasm'): Promise<TfjsReference> {
  const tf = await loadTf(backend);
  const json = JSON.parse(readFileSync(join(dir, graphFile), 'utf8')) as ModelJson;
  const artifacts = sized ? resizedArtifacts(json, sized, size) : fileArtifacts(json, dir);
  const model = await tf.loadGraphModel(tf.io.fromMemory(artifacts));
  return { backend: tf.getBackend(), run: (rgb, s) => runModel(tf, model, rgb, s) };
}

function fileArtifacts(json: ModelJson, dir: string): TF.io.ModelArtifacts {
  const bytes = Buffer.concat(json.weightsManifest.flatMap((g) => g.paths.map((p) => readFileSync(join(dir, p)))));
  return {
    modelTopology: json.modelTopology,
    weightSpecs: json.weightsManifest.flatMap((g) => g.weights),
    weightData: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
    format: json.format ?? 'graph-model',
  };
}

/** Same topology, placeholder [1, size, size, 3], weights re-encoded as plain float32/int32 from `sized`. */
function resizedArtifacts(json: ModelJson, sized: TfGraph, size: number): TF.io.ModelArtifacts {
  const topology = structuredClone(json.modelTopology);
  const input = topology.node.find((n) => n.name === TF_TENSORS.input);
  if (!input) throw new Error(`placeholder ${TF_TENSORS.input} not found`);
  input.attr = { ...input.attr, shape: { shape: { dim: [1, size, size, 3].map((d) => ({ size: String(d) })) } } };
  const specs: TF.io.WeightsManifestEntry[] = [];
  const parts: Buffer[] = [];
  for (const [name, c] of sized.consts) {
    specs.push({ name, shape: [...c.shape], dtype: c.dtype });
    parts.push(Buffer.from(c.data.buffer, c.data.byteOffset, c.data.byteLength));
  }
  const bytes = Buffer.concat(parts);
  return { modelTopology: topology, weightSpecs: specs, weightData: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength), format: 'graph-model' };
}

async function runModel(tf: Tf, model: TF.GraphModel, rgb: Uint8Array, size: number): Promise<HeadsNhwc> {
  const outputs = tf.tidy(() => {
    const x = tf.tensor4d(rgb, [1, size, size, 3], 'int32').toFloat();
    return model.execute({ [TF_TENSORS.input]: x }, [...TF_TENSORS.outputs]) as TF.Tensor[];
  });
  try {
    const [detections, keypoints, wh] = await Promise.all(outputs.map((t) => t.data() as Promise<Float32Array>));
    return { detections: detections!, keypoints: keypoints!, wh: wh! };
  } finally {
    for (const t of outputs) t.dispose();
  }
}
