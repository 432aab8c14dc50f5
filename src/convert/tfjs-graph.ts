/**
 * Reads a TFJS graph model (model JSON + weight shards) into plain nodes and
 * decoded constants. Float weights stored as float16 are widened to float32
 * here, once, so everything downstream sees float32 / int32 only.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeFloat16 } from './float16.js';

/** One attribute as TFJS writes it (the JSON form of a TF AttrValue). */
export interface TfAttr {
  readonly s?: string;
  readonly i?: string | number;
  readonly f?: number;
  readonly b?: boolean;
  readonly type?: string;
  readonly shape?: { readonly dim?: readonly { readonly size: string | number }[] };
  readonly list?: { readonly s?: readonly string[]; readonly i?: readonly (string | number)[]; readonly f?: readonly number[] };
}

export interface TfNode {
  readonly name: string;
  readonly op: string;
  /** Data inputs as "node" or "node:k" (control inputs "^x" removed). */
  readonly inputs: readonly string[];
  readonly attr: Readonly<Record<string, TfAttr>>;
}

export interface TfConst {
  readonly dtype: 'float32' | 'int32';
  readonly shape: readonly number[];
  readonly data: Float32Array | Int32Array;
}

export interface TfGraph {
  readonly nodes: readonly TfNode[];
  readonly consts: ReadonlyMap<string, TfConst>;
}

interface WeightSpec {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: string;
  readonly quantization?: { readonly dtype: string };
}

interface ModelJson {
  readonly modelTopology: { readonly node: readonly { name: string; op: string; input?: string[]; attr?: Record<string, TfAttr> }[] };
  readonly weightsManifest: readonly { readonly paths: readonly string[]; readonly weights: readonly WeightSpec[] }[];
}

/** Reads `graphFile` (relative to `dir`) and the weight files it names. */
export function readTfjsGraph(dir: string, graphFile: string): TfGraph {
  const json = JSON.parse(readFileSync(join(dir, graphFile), 'utf8')) as ModelJson;
  const consts = new Map<string, TfConst>();
  for (const group of json.weightsManifest) {
    const bytes = new Uint8Array(Buffer.concat(group.paths.map((p) => readFileSync(join(dir, p)))));
    decodeGroup(bytes, group.weights, consts);
  }
  const nodes = json.modelTopology.node.map((n) => ({
    name: n.name,
    op: n.op,
    inputs: (n.input ?? []).filter((i) => !i.startsWith('^')),
    attr: n.attr ?? {},
  }));
  return { nodes, consts };
}

function decodeGroup(bytes: Uint8Array, specs: readonly WeightSpec[], into: Map<string, TfConst>): void {
  let offset = 0;
  for (const spec of specs) {
    const count = spec.shape.reduce((a, b) => a * b, 1);
    const { value, size } = decodeWeight(bytes, offset, count, spec);
    into.set(spec.name, value);
    offset += size;
  }
  if (offset !== bytes.length) throw new Error(`weights: specs cover ${offset} bytes of ${bytes.length}`);
}

function decodeWeight(bytes: Uint8Array, offset: number, count: number, spec: WeightSpec): { value: TfConst; size: number } {
  const shape = [...spec.shape];
  const stored = spec.quantization?.dtype ?? spec.dtype;
  if (spec.dtype === 'float32' && stored === 'float16') {
    return { value: { dtype: 'float32', shape, data: decodeFloat16(bytes, offset, count) }, size: count * 2 };
  }
  const copy = bytes.slice(offset, offset + count * 4);
  if (spec.dtype === 'float32' && stored === 'float32') {
    return { value: { dtype: 'float32', shape, data: new Float32Array(copy.buffer) }, size: count * 4 };
  }
  if (spec.dtype === 'int32' && stored === 'int32') {
    return { value: { dtype: 'int32', shape, data: new Int32Array(copy.buffer) }, size: count * 4 };
  }
  throw new Error(`weight ${spec.name}: dtype ${spec.dtype} stored as ${stored} is not supported`);
}

/** "node:1" -> { node: "node", index: 1 }. */
export function parseTensorName(ref: string): { node: string; index: number } {
  const m = /^(.*):(\d+)$/.exec(ref);
  return m ? { node: m[1]!, index: Number(m[2]) } : { node: ref, index: 0 };
}
