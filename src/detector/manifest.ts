/**
 * A model is a folder with manifest.json describing its files (with sha256),
 * input tensor, output decoder, labels, provenance and licence. The manifest
 * is checked before any byte of the model reaches a runtime: a corrupt or
 * tampered file is refused with the name of the file.
 */
import { createHash } from 'node:crypto';
import { readFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { AgentError } from '../core/errors.js';

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'a sha256 as 64 lowercase hex digits');

export const ManifestSchema = z.strictObject({
  schema: z.literal(1),
  name: z.string().min(1),
  version: z.string().min(1),
  format: z.enum(['tfjs-graph', 'onnx']),
  /** The entry file: model.json for tfjs, the .onnx file for onnx. */
  graph: z.string().min(1),
  /** Every file of the model with its sha256. */
  files: z.record(z.string(), sha256Hex),
  input: z.strictObject({
    name: z.string().min(1),
    width: z.number().int().positive(),
    height: z.number().int().positive(),
    layout: z.enum(['NHWC', 'NCHW']),
    dtype: z.enum(['float32', 'uint8']),
    channels: z.enum(['RGB', 'BGR']),
    /** Pixel value v (0-255) is fed as (v * scale - mean[c]) / std[c]. */
    scale: z.number().positive(),
    mean: z.tuple([z.number(), z.number(), z.number()]),
    std: z.tuple([z.number().positive(), z.number().positive(), z.number().positive()]),
  }),
  output: z.strictObject({
    /** detections-xyxy-score-class: rows [x1,y1,x2,y2,score,class]; yolo: [1,N,4+C] or [1,4+C,N]; ssd: boxes/scores/classes. */
    decoder: z.enum(['detections-xyxy-score-class', 'yolo', 'ssd']),
    /** The output tensor; for ssd the boxes tensor (y1,x1,y2,x2). */
    tensor: z.string().min(1),
    /** ssd only: the scores and classes tensors. */
    scores: z.string().min(1).optional(),
    classes: z.string().min(1).optional(),
    /** ssd only: added to a class id to get the label index (e.g. -1 when 0 is background). */
    classOffset: z.number().int().optional(),
    /** yolo only: candidates carry an objectness score before the class scores (YOLOv5). */
    objectness: z.boolean().optional(),
    /** yolo only: per-class NMS IoU threshold; default 0.45. */
    iouThreshold: z.number().min(0).max(1).optional(),
    coordinates: z.enum(['input-pixels', 'normalized']),
  }),
  labels: z.array(z.string()).min(1),
  provenance: z.record(z.string(), z.string()),
  license: z.string().min(1),
});

export type ModelManifest = z.infer<typeof ManifestSchema>;

export interface LoadedManifest {
  readonly dir: string;
  readonly manifest: ModelManifest;
}

/** Reads, validates and checksums a model folder. Throws AgentError on any problem. */
export function loadManifest(modelDir: string): LoadedManifest {
  const dir = resolve(modelDir);
  const path = join(dir, 'manifest.json');
  if (!existsSync(path)) {
    throw new AgentError('MODEL_NOT_FOUND', `no model manifest at ${path}`, {
      hint: 'detector.model must name a folder containing manifest.json',
    });
  }
  const manifest = parseManifest(path);
  if (!Object.hasOwn(manifest.files, manifest.graph)) {
    throw new AgentError('MODEL_MANIFEST_INVALID', `${path}: graph file "${manifest.graph}" is not listed in files`);
  }
  const o = manifest.output;
  if (o.decoder === 'ssd' && (!o.scores || !o.classes)) {
    throw new AgentError('MODEL_MANIFEST_INVALID', `${path}: output.decoder ssd needs output.scores and output.classes tensor names`);
  }
  for (const [file, expected] of Object.entries(manifest.files)) verifyFile(dir, file, expected);
  return { dir, manifest };
}

/** Every output tensor the decoder reads. */
export function outputNames(m: ModelManifest): string[] {
  return [m.output.tensor, m.output.scores, m.output.classes].filter((n): n is string => n !== undefined);
}

function parseManifest(path: string): ModelManifest {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new AgentError('MODEL_MANIFEST_INVALID', `${path}: not valid JSON (${(e as Error).message})`);
  }
  const result = ManifestSchema.safeParse(raw);
  if (!result.success) {
    const first = result.error.issues[0];
    const where = first?.path.join('.') || '(top level)';
    throw new AgentError('MODEL_MANIFEST_INVALID', `${path}: ${where}: ${first?.message ?? 'invalid'}`);
  }
  return result.data;
}

function verifyFile(dir: string, file: string, expected: string): void {
  if (file.includes('..') || file.startsWith('/')) {
    throw new AgentError('MODEL_MANIFEST_INVALID', `model file name "${file}" must stay inside ${dir}`);
  }
  const path = join(dir, file);
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch {
    throw new AgentError('MODEL_NOT_FOUND', `model file ${path} listed in the manifest is missing`);
  }
  const actual = createHash('sha256').update(bytes).digest('hex');
  if (actual !== expected) {
    throw new AgentError('MODEL_CHECKSUM_MISMATCH', `model file ${path} has sha256 ${actual}, manifest expects ${expected}`, {
      hint: 'the file is corrupt or was replaced: reinstall the model',
    });
  }
}
