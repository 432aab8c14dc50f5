/**
 * The state an op mapper works against: which ONNX tensor holds each TF
 * tensor, in which layout, with which TF shape. 4-D activations live in NCHW
 * (what ONNX convs and pools want); everything else keeps TF's layout. A
 * mapper that needs the other layout asks for a view and gets one Transpose,
 * made once per tensor and layout.
 */
import { NCHW_TO_NHWC_PERM, NHWC_TO_NCHW_PERM, transpose } from './layout.js';
import { float32Scalar, ints, int64Tensor, type Attr, type DataType, type OnnxGraph, type Tensor } from './onnx-ir.js';
import type { TfConst, TfGraph, TfNode } from './tfjs-graph.js';

/** 'NCHW': a rank-4 tensor stored channels-first. 'TF': stored as TF has it (NHWC for rank 4). */
export type Layout = 'NCHW' | 'TF';

export interface Ref {
  /** The ONNX tensor name. */
  readonly name: string;
  readonly layout: Layout;
  /** TF shape (NHWC for rank 4), whatever the layout. */
  readonly shape: readonly number[];
  readonly dtype: DataType;
}

export interface EmitOptions {
  /** Base for the node and output names; made unique. */
  readonly name: string;
  readonly outputs?: number;
  readonly domain?: string;
}

export class MapContext {
  readonly graph: OnnxGraph;
  readonly #consts: ReadonlyMap<string, TfConst>;
  readonly #refs = new Map<string, Ref>();
  readonly #views = new Map<string, string>();
  readonly #scalars = new Map<string, string>();
  readonly #used = new Set<string>();

  constructor(tf: TfGraph, graph: OnnxGraph) {
    this.#consts = tf.consts;
    this.graph = graph;
  }

  isConst(tfName: string): boolean {
    return this.#consts.has(tfName);
  }

  /** The decoded value of a TF constant input; throws naming the node if it is not constant. */
  constOf(node: TfNode, input: number): TfConst {
    const name = node.inputs[input];
    const c = name === undefined ? undefined : this.#consts.get(name);
    if (!c) throw new Error(`${node.op} ${node.name}: input ${input} (${name}) must be a constant`);
    return c;
  }

  /** Integer values of a constant input (axes, sizes, shapes). */
  constInts(node: TfNode, input: number): number[] {
    const c = this.constOf(node, input);
    if (c.dtype !== 'int32') throw new Error(`${node.op} ${node.name}: input ${input} must be int32, got ${c.dtype}`);
    return [...c.data];
  }

  /** The tensor for a TF name; constants become initializers in TF layout on first use. */
  ref(tfName: string): Ref {
    const known = this.#refs.get(tfName);
    if (known) return known;
    const c = this.#consts.get(tfName);
    if (!c) throw new Error(`tensor ${tfName} is used before it is produced (unsupported op upstream?)`);
    const name = this.initializer(tfName, { dtype: c.dtype, dims: c.shape, data: c.data });
    const ref: Ref = { name, layout: 'TF', shape: c.shape, dtype: c.dtype };
    this.#refs.set(tfName, ref);
    return ref;
  }

  input(node: TfNode, i: number): Ref {
    const name = node.inputs[i];
    if (name === undefined) throw new Error(`${node.op} ${node.name}: input ${i} missing`);
    return this.ref(name);
  }

  define(tfName: string, ref: Ref): void {
    if (this.#refs.has(tfName)) throw new Error(`tensor ${tfName} defined twice`);
    this.#refs.set(tfName, ref);
    this.declare(ref);
  }

  /** Records the ONNX shape of a produced tensor as value_info (the quantizer reads it). */
  declare(ref: Ref, name = ref.name, layout = ref.layout): void {
    if (this.graph.initializers.has(name) || this.graph.inputs.some((i) => i.name === name)) return;
    if (this.graph.valueInfo.some((v) => v.name === name)) return;
    const dims = layout === 'NCHW' ? NHWC_TO_NCHW_PERM.map((p) => ref.shape[p]!) : [...ref.shape];
    this.graph.valueInfo.push({ name, dtype: ref.dtype, dims });
  }

  /** The ONNX name of `ref` stored in `layout`, transposing (once) if needed. */
  view(ref: Ref, layout: Layout): string {
    if (ref.layout === layout) return ref.name;
    if (ref.shape.length !== 4) throw new Error(`tensor ${ref.name} has rank ${ref.shape.length}: only rank 4 has an NCHW form`);
    const key = `${ref.name}|${layout}`;
    const cached = this.#views.get(key);
    if (cached) return cached;
    const perm = layout === 'NCHW' ? NHWC_TO_NCHW_PERM : NCHW_TO_NHWC_PERM;
    const [out] = this.emit('Transpose', [ref.name], { perm: ints(perm) }, { name: `${ref.name}/to_${layout.toLowerCase()}` });
    this.#views.set(key, out!);
    this.declare(ref, out!, layout);
    return out!;
  }

  /**
   * A constant operand for an elementwise op whose other operands are NCHW:
   * TF broadcasts a rank-1 [C] against NHWC's last axis, so it is padded to
   * rank 4 and transposed to broadcast against NCHW the same way.
   */
  constForNchw(tfName: string): string {
    const c = this.#consts.get(tfName);
    if (!c) throw new Error(`${tfName} is not a constant`);
    if (c.data.length === 1) return this.initializer(`${tfName}/scalar`, { dtype: c.dtype, dims: [], data: c.data });
    if (c.shape.length > 4) throw new Error(`constant ${tfName} of rank ${c.shape.length} cannot broadcast against NCHW`);
    const nhwc = [...new Array<number>(4 - c.shape.length).fill(1), ...c.shape];
    const data = transpose(c.data, nhwc, NHWC_TO_NCHW_PERM);
    return this.initializer(`${tfName}/nchw`, { dtype: c.dtype, dims: NHWC_TO_NCHW_PERM.map((p) => nhwc[p]!), data });
  }

  /** A shared float32 scalar initializer. */
  scalar(value: number): string {
    const key = String(value);
    const known = this.#scalars.get(key);
    if (known) return known;
    const name = this.initializer(`const/${key}`, float32Scalar(value));
    this.#scalars.set(key, name);
    return name;
  }

  /** A fresh int64 initializer (shapes, axes, starts...). */
  int64s(hint: string, values: readonly number[]): string {
    return this.initializer(hint, int64Tensor(values));
  }

  initializer(hint: string, tensor: Tensor): string {
    const name = this.unique(hint);
    this.graph.initializers.set(name, tensor);
    return name;
  }

  /** Appends a node; returns its output names. An input '' is an omitted optional input. */
  emit(op: string, inputs: readonly string[], attrs: Record<string, Attr>, opts: EmitOptions): string[] {
    const name = this.unique(opts.name);
    const count = opts.outputs ?? 1;
    const outputs = count === 1 ? [name] : Array.from({ length: count }, (_, i) => this.unique(`${name}:${i}`));
    this.graph.nodes.push({ name, op, domain: opts.domain ?? '', inputs: [...inputs], outputs, attrs });
    return outputs;
  }

  unique(hint: string): string {
    let name = hint;
    for (let k = 1; this.#used.has(name); k++) name = `${hint}_${k}`;
    this.#used.add(name);
    return name;
  }
}
