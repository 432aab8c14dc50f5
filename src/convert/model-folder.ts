/**
 * Writes a model folder in the project's manifest schema (src/detector/
 * manifest.ts): the .onnx, the inherited LICENSE and manifest.json with the
 * sha256 of each model file, then loads it back through loadManifest so a
 * folder that the agent would refuse is never left behind as a success.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadManifest, ManifestSchema, type ModelManifest } from '../detector/manifest.js';
import { ONNX_INPUT } from './centernet.js';

export interface FolderSpec {
  readonly dir: string;
  readonly name: string;
  readonly version: string;
  /** File name of the .onnx inside the folder. */
  readonly graph: string;
  readonly bytes: Uint8Array;
  readonly size: number;
  readonly labels: readonly string[];
  readonly provenance: Readonly<Record<string, string>>;
  /** Folder whose LICENSE is copied (the licence is inherited from the source model). */
  readonly licenseFrom: string;
  readonly license: string;
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function fileSha256(path: string): string {
  return sha256(readFileSync(path));
}

export function buildManifest(spec: FolderSpec): ModelManifest {
  return ManifestSchema.parse({
    schema: 1,
    name: spec.name,
    version: spec.version,
    format: 'onnx',
    graph: spec.graph,
    files: { [spec.graph]: sha256(spec.bytes) },
    input: { name: ONNX_INPUT, width: spec.size, height: spec.size, layout: 'NCHW', dtype: 'float32', channels: 'RGB', scale: 1, mean: [0, 0, 0], std: [1, 1, 1] },
    output: { decoder: 'detections-xyxy-score-class', tensor: 'detections', coordinates: 'input-pixels' },
    labels: [...spec.labels],
    provenance: { ...spec.provenance },
    license: spec.license,
  });
}

/** Writes the folder and returns the manifest as the agent will read it. */
export function writeModelFolder(spec: FolderSpec): ModelManifest {
  const manifest = buildManifest(spec);
  mkdirSync(spec.dir, { recursive: true });
  writeFileSync(join(spec.dir, spec.graph), spec.bytes);
  copyFileSync(join(spec.licenseFrom, 'LICENSE'), join(spec.dir, 'LICENSE'));
  writeFileSync(join(spec.dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return loadManifest(spec.dir).manifest;
}
