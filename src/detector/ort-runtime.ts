/**
 * ONNX Runtime inside the detector worker. The session is created once per
 * worker (creating and releasing sessions leaks native memory, so a model swap
 * replaces the whole worker), with explicit threads and no spinning (a
 * spinning pool burns a gateway core while it waits), and a fixed input shape.
 * Crops are cut and resized by sharp (libvips), then laid out as the manifest
 * says (NCHW/NHWC, RGB/BGR, scale/mean/std).
 */
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { AgentError } from '../core/errors.js';
import type { Box, Detection } from '../core/types.js';
import { decodeOutputs, type OutputTensor } from './decode.js';
import { outputNames, type ModelManifest } from './manifest.js';

export interface OrtRuntime {
  readonly name: 'onnxruntime';
  readonly note: string;
  detect(rgb: Uint8Array, width: number, height: number, regions: readonly Box[]): Promise<Detection[][]>;
}

export interface OrtOptions {
  /** Intra-op threads; 1 leaves the other core to ffmpeg and the main loop. */
  readonly threads: number;
  readonly minScore: number;
}

export async function createOrtRuntime(dir: string, manifest: ModelManifest, opts: OrtOptions): Promise<OrtRuntime> {
  const session = await openSession(join(dir, manifest.graph), manifest, opts.threads);
  checkIo(session, manifest);
  const detect = (rgb: Uint8Array, width: number, height: number, regions: readonly Box[]) =>
    Promise.all(regions.map((r) => runRegion(session, manifest, opts.minScore, { rgb, width, height }, r)));
  return { name: 'onnxruntime', note: `onnxruntime-node ${ort.env.versions.node}, ${opts.threads} thread(s)`, detect };
}

async function openSession(path: string, manifest: ModelManifest, threads: number): Promise<ort.InferenceSession> {
  try {
    return await ort.InferenceSession.create(path, {
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'all',
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
    });
  } catch (e) {
    throw new AgentError('MODEL_LOAD_FAILED', `ONNX model ${manifest.name} (${path}) was refused by onnxruntime: ${(e as Error).message.split('\n')[0]}`, {
      hint: 'the file passed its checksum, so it is not an ONNX model this runtime supports',
    });
  }
}

function checkIo(session: ort.InferenceSession, manifest: ModelManifest): void {
  const missing = [
    ...(session.inputNames.includes(manifest.input.name) ? [] : [`input "${manifest.input.name}" (has ${session.inputNames.join(', ')})`]),
    ...outputNames(manifest)
      .filter((n) => !session.outputNames.includes(n))
      .map((n) => `output "${n}" (has ${session.outputNames.join(', ')})`),
  ];
  if (missing.length > 0) {
    throw new AgentError('MODEL_MANIFEST_INVALID', `model ${manifest.name}: the manifest names ${missing.join(' and ')} that the ONNX graph does not have`);
  }
}

interface RawFrame {
  readonly rgb: Uint8Array;
  readonly width: number;
  readonly height: number;
}

async function runRegion(session: ort.InferenceSession, manifest: ModelManifest, minScore: number, f: RawFrame, region: Box): Promise<Detection[]> {
  const { width: iw, height: ih } = manifest.input;
  const pixels = await cropResize(f, region, iw, ih);
  const input = toTensor(pixels, manifest);
  const out = await session.run({ [manifest.input.name]: input }, outputNames(manifest));
  const tensors: Record<string, OutputTensor> = {};
  for (const [name, t] of Object.entries(out)) tensors[name] = { data: t.data as Float32Array, dims: t.dims };
  return decodeOutputs(tensors, manifest, { region, minScore });
}

async function cropResize(f: RawFrame, b: Box, iw: number, ih: number): Promise<Buffer> {
  const left = clampInt(b[0], 0, f.width - 1);
  const top = clampInt(b[1], 0, f.height - 1);
  const width = clampInt(b[2] - b[0], 1, f.width - left);
  const height = clampInt(b[3] - b[1], 1, f.height - top);
  return sharp(f.rgb, { raw: { width: f.width, height: f.height, channels: 3 } })
    .extract({ left, top, width, height })
    .resize(iw, ih, { fit: 'fill', kernel: 'linear' })
    .raw()
    .toBuffer();
}

/** HWC uint8 RGB → the model's layout, channel order and normalisation, as float32 or uint8. */
function toTensor(hwc: Uint8Array, manifest: ModelManifest): ort.Tensor {
  const { width: w, height: h, layout, channels, scale, mean, std, dtype } = manifest.input;
  const n = w * h;
  const out = dtype === 'uint8' ? new Uint8Array(n * 3) : new Float32Array(n * 3);
  const order = channels === 'RGB' ? [0, 1, 2] : [2, 1, 0];
  for (let c = 0; c < 3; c++) {
    const src = order[c]!;
    const m = mean[c]!;
    const s = std[c]!;
    for (let i = 0; i < n; i++) {
      const v = dtype === 'uint8' ? hwc[i * 3 + src]! : (hwc[i * 3 + src]! * scale - m) / s;
      out[layout === 'NCHW' ? c * n + i : i * 3 + c] = v;
    }
  }
  const dims = layout === 'NCHW' ? [1, 3, h, w] : [1, h, w, 3];
  return dtype === 'uint8' ? new ort.Tensor('uint8', out as Uint8Array, dims) : new ort.Tensor('float32', out as Float32Array, dims);
}

function clampInt(v: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(hi, Math.round(v)));
}
