/**
 * Activations, standalone (Relu, Relu6, Sigmoid) or fused into a TF conv
 * (fused_ops [BiasAdd, Relu]). Relu6 is Clip(0, 6): ORT folds a Clip that
 * follows a Conv into the conv, and a quantized one into the Q's range.
 */
import type { MapContext, Ref } from '../map-context.js';
import type { TfNode } from '../tfjs-graph.js';
import type { OpMapper } from './types.js';

/** Applies TF activation `kind` to `x`, returning the output ref (same layout and shape). */
export function activation(ctx: MapContext, kind: string, x: Ref, name: string, node: TfNode): Ref {
  switch (kind) {
    case 'Relu':
      return { ...x, name: ctx.emit('Relu', [x.name], {}, { name })[0]! };
    case 'Relu6':
      return { ...x, name: ctx.emit('Clip', [x.name, ctx.scalar(0), ctx.scalar(6)], {}, { name })[0]! };
    case 'Sigmoid':
      return { ...x, name: ctx.emit('Sigmoid', [x.name], {}, { name })[0]! };
    default:
      throw new Error(`${node.op} ${node.name}: activation ${kind} is not supported`);
  }
}

const unaryActivation: OpMapper = (ctx, node) => {
  const x = ctx.input(node, 0);
  ctx.define(node.name, activation(ctx, node.op, x, node.name, node));
};

/** Identity only renames: the TF name points at the input tensor, no node is emitted. */
const identity: OpMapper = (ctx, node) => ctx.define(node.name, ctx.input(node, 0));

export const activationMappers: Record<string, OpMapper> = {
  Relu: unaryActivation,
  Relu6: unaryActivation,
  Sigmoid: unaryActivation,
  Identity: identity,
};
