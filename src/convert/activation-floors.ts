/**
 * Activation floors: ReLU is flat below 0 and hard-swish below -3, so a
 * tensor read only by such activations needs no int8 levels below that
 * point. Clipping calibration ranges (and equalization ranges) there gives
 * the values that matter finer steps. After equalization the hard-swish
 * threshold is per channel: z * clip(z * a + 0.5, 0, 1) is zero below
 * -0.5 / a[c].
 */
import { consumers, producers, type OnnxGraph, type OnnxNode } from './onnx-ir.js';

const HARD_SWISH_FLOOR = -3;
const RELU_FLOOR = 0;

/** Tensor -> per-channel floor (one value = same for all channels), for tensors only hard-swish reads. */
export function activationFloors(graph: OnnxGraph): Map<string, Float32Array> {
  const uses = consumers(graph);
  const made = producers(graph);
  const floors = new Map<string, Float32Array>();
  for (const [tensor, readers] of uses) {
    const floor = floorFor(graph, tensor, readers, made);
    if (floor) floors.set(tensor, floor);
  }
  return floors;
}

function floorFor(graph: OnnxGraph, z: string, readers: readonly OnnxNode[], made: Map<string, OnnxNode>): Float32Array | undefined {
  if (readers.every((n) => n.op === 'Relu')) return Float32Array.of(RELU_FLOOR);
  if (readers.every((n) => n.op === 'HardSwish')) return Float32Array.of(HARD_SWISH_FLOOR);
  // The equalized form: Mul(z, a) -> HardSigmoid(alpha 1, beta 0.5) -> gate; Mul(z, gate).
  const scale = readers.find((n) => n.op === 'Mul' && graph.initializers.has(n.inputs[1]!) && n.inputs[0] === z);
  const a = scale ? graph.initializers.get(scale.inputs[1]!) : undefined;
  if (!scale || !a || readers.length !== 2) return undefined;
  const gateMul = readers.find((n) => n !== scale && n.op === 'Mul');
  const gate = gateMul ? made.get(gateMul.inputs.find((i) => i !== z) ?? '') : undefined;
  if (gate?.op !== 'HardSigmoid' || gate.inputs[0] !== scale.outputs[0]) return undefined;
  return Float32Array.from(a.data as Float32Array, (v) => -0.5 / v);
}
