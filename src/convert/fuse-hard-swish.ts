/**
 * MobileNetV3's hard-swish arrives from TF as four ops over the same
 * activation: (x * c) * clip(x + 3, 0, 6), c = 1/6 stored as float16
 * (0.16662598). One ONNX HardSwish, x * clip(x / 6 + 0.5, 0, 1), reads and
 * writes the tensor once instead of four times. It uses 1/6 exactly, so it
 * differs from the float16 graph by |1 - 6c| = 2.4e-4 relative: far below
 * int8 resolution, which is why only the quantizer applies it and the fp32
 * model stays op-for-op with TFJS.
 */
import { consumers, producers, type OnnxGraph, type OnnxNode } from './onnx-ir.js';

const SIXTH_TOLERANCE = 1e-3;

export function fuseHardSwish(graph: OnnxGraph): number {
  const made = producers(graph);
  const uses = consumers(graph);
  const outputs = new Set(graph.outputs.map((o) => o.name));
  const dead = new Set<OnnxNode>();
  let fused = 0;
  for (const mul of graph.nodes) {
    const match = mul.op === 'Mul' ? matchHardSwish(graph, mul, made) : undefined;
    if (!match) continue;
    const inner = [match.scale, match.add, match.clip];
    const private_ = inner.every((n) => uses.get(n.outputs[0]!)?.length === 1 && !outputs.has(n.outputs[0]!));
    if (!private_) continue;
    for (const n of inner) dead.add(n);
    mul.op = 'HardSwish';
    mul.inputs = [match.x];
    mul.attrs = {};
    fused++;
  }
  graph.nodes = graph.nodes.filter((n) => !dead.has(n));
  return fused;
}

interface Match {
  readonly x: string;
  readonly scale: OnnxNode;
  readonly add: OnnxNode;
  readonly clip: OnnxNode;
}

function matchHardSwish(graph: OnnxGraph, mul: OnnxNode, made: Map<string, OnnxNode>): Match | undefined {
  const [p, q] = mul.inputs.map((i) => made.get(i));
  for (const [scale, clip] of [[p, q], [q, p]] as const) {
    if (scale?.op !== 'Mul' || clip?.op !== 'Clip') continue;
    const x = scaledInput(graph, scale);
    const add = made.get(clip.inputs[0]!);
    if (x === undefined || add?.op !== 'Add' || !isClip06(graph, clip)) continue;
    if (constOperand(graph, add, x) === 3) return { x, scale, add, clip };
  }
  return undefined;
}

/** x when `scale` is Mul(x, ~1/6). */
function scaledInput(graph: OnnxGraph, scale: OnnxNode): string | undefined {
  for (const [a, b] of [[0, 1], [1, 0]] as const) {
    const c = scalarValue(graph, scale.inputs[b]!);
    if (c !== undefined && Math.abs(c - 1 / 6) < SIXTH_TOLERANCE) return scale.inputs[a];
  }
  return undefined;
}

/** The constant added to `x` by `add`, if `add` is Add(x, c). */
function constOperand(graph: OnnxGraph, add: OnnxNode, x: string): number | undefined {
  if (add.inputs[0] === x) return scalarValue(graph, add.inputs[1]!);
  if (add.inputs[1] === x) return scalarValue(graph, add.inputs[0]!);
  return undefined;
}

function isClip06(graph: OnnxGraph, clip: OnnxNode): boolean {
  return scalarValue(graph, clip.inputs[1] ?? '') === 0 && scalarValue(graph, clip.inputs[2] ?? '') === 6;
}

function scalarValue(graph: OnnxGraph, name: string): number | undefined {
  const t = graph.initializers.get(name);
  return t && t.data.length === 1 && t.dtype === 'float32' ? (t.data[0] as number) : undefined;
}
