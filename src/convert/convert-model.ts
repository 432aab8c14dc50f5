/**
 * The converter end to end: source model folder (TFJS graph, checked by its
 * manifest) -> ONNX fp32 model folder, then the TFJS-vs-ORT check.
 */
import { join } from 'node:path';
import { loadManifest, type ModelManifest } from '../detector/manifest.js';
import { CENTERNET_IO } from './centernet.js';
import { convertGraph, type Converted } from './convert.js';
import { VERIFY_SET } from './frame-sets.js';
import { fileSha256, writeModelFolder } from './model-folder.js';
import { encodeModel } from './onnx-codec.js';
import { rescaleSizeConsts } from './size-consts.js';
import { readTfjsGraph, type TfGraph } from './tfjs-graph.js';
import { verifyAgainstTfjs, type VerifyReport } from './verify.js';

/** Bumped when the converter's output for the same source changes. */
export const CONVERTER_VERSION = '1';
/**
 * ONNX opset written. ORT 1.31 loads newer ones (checked up to 25), but
 * nothing here needs newer ops and 17 is what every ORT fusion has covered
 * longest (checked: opset 21 gives the same nodes and the same speed).
 */
export const DEFAULT_OPSET = 17;
export const ONNX_FILE = 'centernet.onnx';

export interface ConvertModelOptions {
  readonly input: string;
  readonly out: string;
  readonly size: number;
  readonly opset: number;
  readonly verify: boolean;
  readonly log: (line: string) => void;
}

export interface ConvertModelResult {
  readonly bytes: number;
  readonly nodes: number;
  readonly verify: VerifyReport | undefined;
}

export interface ConvertedSource {
  readonly tf: TfGraph;
  readonly converted: Converted;
  readonly bytes: Uint8Array;
}

/** The .onnx bytes for a checked TFJS source folder (deterministic: same source, size and opset, same bytes). */
export function convertSource(dir: string, source: ModelManifest, size: number, opset: number): ConvertedSource {
  if (source.format !== 'tfjs-graph') throw new Error(`${dir}: format ${source.format}, expected tfjs-graph`);
  const tf = readTfjsGraph(dir, source.graph);
  const converted = convertGraph(tf, { size, opset, ...CENTERNET_IO, producer: `edge-agent convert ${CONVERTER_VERSION}` });
  converted.graph.metadata = { source: `${source.name} ${source.version}`, input: `images float32 [1,3,${size},${size}] RGB 0..255` };
  return { tf, converted, bytes: encodeModel(converted.graph) };
}

export async function convertModel(o: ConvertModelOptions): Promise<ConvertModelResult> {
  const { dir, manifest: source } = loadManifest(o.input);
  const { tf, converted, bytes } = convertSource(dir, source, o.size, o.opset);
  for (const line of converted.rescaled) o.log(`size constant ${line}`);
  o.log(`converted ${tf.nodes.length} TF nodes -> ${converted.graph.nodes.length} ONNX nodes, opset ${o.opset}, ${(bytes.length / 1e6).toFixed(1)} MB`);
  const sourceFiles = Object.keys(source.files).map((f) => `${f} ${fileSha256(join(dir, f))}`).join(', ');
  writeModelFolder({
    dir: o.out,
    name: 'centernet-coco-onnx',
    version: `${source.version}+onnx.${CONVERTER_VERSION}`,
    graph: ONNX_FILE,
    bytes,
    size: o.size,
    labels: source.labels,
    licenseFrom: dir,
    license: source.license,
    provenance: {
      ...source.provenance,
      source_model: `${source.name} ${source.version} (${o.input})`,
      source_sha256: sourceFiles,
      converter: `edge-agent src/convert version ${CONVERTER_VERSION} (scripts/convert-model.ts), TFJS graph -> ONNX`,
      opset: String(o.opset),
      input_size: `${o.size}x${o.size} (source graph built for ${converted.sourceSize}${converted.rescaled.length > 0 ? '; size constants rescaled' : ''})`,
      outputs: 'detections [1,100,6] x1,y1,x2,y2 (input pixels), score, class; heads keypoints [1,80,S/4,S/4] (sigmoid scores) and wh [1,4,S/4,S/4], NCHW',
      weights: 'float32 (widened from the source float16)',
    },
  });
  o.log(`wrote ${o.out}`);
  if (!o.verify) return { bytes: bytes.length, nodes: converted.graph.nodes.length, verify: undefined };
  const sized = converted.sourceSize === o.size ? undefined : rescaleSizeConsts(tf, converted.sourceSize, o.size).graph;
  const verify = await verifyAgainstTfjs({ sourceDir: dir, sourceGraph: source.graph, ...(sized ? { sized } : {}), onnx: bytes, size: o.size, classes: source.labels.length, set: VERIFY_SET });
  return { bytes: bytes.length, nodes: converted.graph.nodes.length, verify };
}
