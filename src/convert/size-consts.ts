/**
 * The TF graph bakes its input size into integer constants: the upsampling
 * sizes (32, 64, 128 at 512), the output grid width used to decode flat TopK
 * indices (128) and the grid area in a Reshape (16384). To convert for
 * another square input size S, those constants are rescaled.
 *
 * A constant is size-dependent when it feeds a shape or index op and its
 * value is a feature-map extent of the source size (S0 / 2^k, k = 0..5: the
 * network downsamples by 32) or such an extent squared; it is rescaled by
 * S / S0 or (S / S0)^2. A value that is both (at 512: 256 = 512/2 = 16^2) is
 * refused rather than guessed. Every other constant (80 classes, k = 100,
 * axes) is left alone.
 */
import type { TfConst, TfGraph } from './tfjs-graph.js';

/** The network's total stride: input sizes must be multiples of it. */
export const NETWORK_STRIDE = 32;

/** Ops whose integer constant inputs may encode a spatial size. */
const SIZE_CONSUMERS = new Set(['ResizeBilinear', 'Reshape', 'FloorDiv', 'FloorMod', 'Mul', 'Add', 'Sub']);

export interface Rescaled {
  readonly graph: TfGraph;
  /** Constant name -> [old values, new values], for the log. */
  readonly changed: ReadonlyMap<string, readonly [readonly number[], readonly number[]]>;
}

export function rescaleSizeConsts(graph: TfGraph, from: number, to: number): Rescaled {
  if (from === to) return { graph, changed: new Map() };
  if (to % NETWORK_STRIDE !== 0 || from % NETWORK_STRIDE !== 0) {
    throw new Error(`input size must be a multiple of ${NETWORK_STRIDE} (got ${to}, model built for ${from})`);
  }
  const consts = new Map(graph.consts);
  const changed = new Map<string, readonly [readonly number[], readonly number[]]>();
  for (const name of sizeConstNames(graph)) {
    const c = consts.get(name)!;
    const values = [...c.data].map((v) => rescaleValue(v, from, to, name));
    if (values.some((v, i) => v !== c.data[i])) {
      changed.set(name, [[...c.data], values]);
      consts.set(name, { ...c, data: Int32Array.from(values) } satisfies TfConst);
    }
  }
  return { graph: { nodes: graph.nodes, consts }, changed };
}

function sizeConstNames(graph: TfGraph): Set<string> {
  const names = new Set<string>();
  for (const node of graph.nodes) {
    if (!SIZE_CONSUMERS.has(node.op)) continue;
    for (const input of node.inputs) if (graph.consts.get(input)?.dtype === 'int32') names.add(input);
  }
  return names;
}

/** One value: an extent scales linearly, an area quadratically, anything else stays. */
export function rescaleValue(v: number, from: number, to: number, where: string): number {
  const extents = Array.from({ length: 6 }, (_, k) => from / 2 ** k);
  const isExtent = extents.includes(v);
  const isArea = extents.some((e) => e * e === v);
  if (isExtent && isArea) throw new Error(`constant ${where} = ${v} is both a feature-map size and an area at ${from}: cannot rescale it safely`);
  if (isExtent) return (v * to) / from;
  if (isArea) return (v * to * to) / (from * from);
  return v;
}
