/**
 * A small in-memory ONNX graph: what the converter produces, the quantizer
 * rewrites and the codec (onnx-codec.ts) turns into protobuf bytes and back.
 * Static shapes only; tensors are dense typed arrays.
 */

export type DataType = 'float32' | 'int32' | 'int64' | 'int8' | 'uint8' | 'bool';

/** TensorProto.DataType codes. */
export const ONNX_TYPE_CODES: Readonly<Record<DataType, number>> = { float32: 1, uint8: 2, int8: 3, int32: 6, int64: 7, bool: 9 };

export type TensorData = Float32Array | Int32Array | BigInt64Array | Int8Array | Uint8Array;

export interface Tensor {
  readonly dtype: DataType;
  readonly dims: readonly number[];
  readonly data: TensorData;
}

export type Attr =
  | { readonly type: 'int'; readonly value: number }
  | { readonly type: 'ints'; readonly value: readonly number[] }
  | { readonly type: 'float'; readonly value: number }
  | { readonly type: 'floats'; readonly value: readonly number[] }
  | { readonly type: 'string'; readonly value: string };

export interface OnnxNode {
  name: string;
  op: string;
  /** '' (the default ONNX domain) or e.g. 'com.microsoft'. */
  domain: string;
  inputs: string[];
  outputs: string[];
  attrs: Record<string, Attr>;
}

export interface ValueInfo {
  readonly name: string;
  readonly dtype: DataType;
  /** Undefined when the shape is not declared. */
  readonly dims: readonly number[] | undefined;
}

export interface OnnxGraph {
  name: string;
  nodes: OnnxNode[];
  initializers: Map<string, Tensor>;
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  /** Known types and shapes of intermediate tensors (ONNX graph.value_info). */
  valueInfo: ValueInfo[];
  /** Default-domain opset version. */
  opset: number;
  /** Model-level metadata_props (written into the .onnx). */
  metadata: Record<string, string>;
  producer: string;
}

export const int = (value: number): Attr => ({ type: 'int', value });
export const ints = (value: readonly number[]): Attr => ({ type: 'ints', value });
export const float = (value: number): Attr => ({ type: 'float', value });
export const str = (value: string): Attr => ({ type: 'string', value });

export function numel(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

export function floatTensor(data: Float32Array | readonly number[], dims: readonly number[]): Tensor {
  return checked({ dtype: 'float32', dims, data: data instanceof Float32Array ? data : Float32Array.from(data) });
}

export function int32Tensor(data: Int32Array | readonly number[], dims: readonly number[]): Tensor {
  return checked({ dtype: 'int32', dims, data: data instanceof Int32Array ? data : Int32Array.from(data) });
}

export function int64Tensor(values: readonly number[], dims: readonly number[] = [values.length]): Tensor {
  return checked({ dtype: 'int64', dims, data: BigInt64Array.from(values.map((v) => BigInt(v))) });
}

export function int8Tensor(data: Int8Array, dims: readonly number[]): Tensor {
  return checked({ dtype: 'int8', dims, data });
}

export function uint8Tensor(data: Uint8Array, dims: readonly number[]): Tensor {
  return checked({ dtype: 'uint8', dims, data });
}

function checked(t: Tensor): Tensor {
  if (t.data.length !== numel(t.dims)) throw new Error(`tensor data has ${t.data.length} values, dims [${t.dims.join(',')}] need ${numel(t.dims)}`);
  return t;
}

/** Producer node of each tensor name. */
export function producers(graph: OnnxGraph): Map<string, OnnxNode> {
  const map = new Map<string, OnnxNode>();
  for (const n of graph.nodes) for (const o of n.outputs) map.set(o, n);
  return map;
}

/** Consumer nodes of each tensor name. */
export function consumers(graph: OnnxGraph): Map<string, OnnxNode[]> {
  const map = new Map<string, OnnxNode[]>();
  for (const n of graph.nodes) {
    for (const i of n.inputs) {
      if (i === '') continue;
      const list = map.get(i);
      if (list) list.push(n);
      else map.set(i, [n]);
    }
  }
  return map;
}

/** Drops nodes and initializers that no graph output depends on. */
export function prune(graph: OnnxGraph): void {
  const made = producers(graph);
  const live = new Set<OnnxNode>();
  const needed = new Set<string>();
  const stack = graph.outputs.map((o) => o.name);
  while (stack.length > 0) {
    const name = stack.pop()!;
    if (needed.has(name)) continue;
    needed.add(name);
    const node = made.get(name);
    if (!node || live.has(node)) continue;
    live.add(node);
    for (const i of node.inputs) if (i !== '') stack.push(i);
  }
  graph.nodes = graph.nodes.filter((n) => live.has(n));
  for (const name of [...graph.initializers.keys()]) if (!needed.has(name)) graph.initializers.delete(name);
  graph.valueInfo = graph.valueInfo.filter((v) => needed.has(v.name));
}

/** Declared dims of a tensor (inputs, outputs or value_info), if known. */
export function dimsOf(graph: OnnxGraph, name: string): readonly number[] | undefined {
  const info = graph.valueInfo.find((v) => v.name === name) ?? graph.inputs.find((v) => v.name === name) ?? graph.outputs.find((v) => v.name === name);
  return info?.dims ?? graph.initializers.get(name)?.dims;
}

/** Renames a tensor everywhere it is produced or consumed. */
export function renameTensor(graph: OnnxGraph, from: string, to: string): void {
  graph.valueInfo = graph.valueInfo.map((v) => (v.name === from ? { ...v, name: to } : v));
  for (const n of graph.nodes) {
    n.inputs = n.inputs.map((i) => (i === from ? to : i));
    n.outputs = n.outputs.map((o) => (o === from ? to : o));
  }
  const init = graph.initializers.get(from);
  if (init) {
    graph.initializers.delete(from);
    graph.initializers.set(to, init);
  }
}

export function float32Scalar(value: number): Tensor {
  return floatTensor([value], []);
}
