/**
 * OnnxGraph <-> ModelProto bytes through onnx-proto (protobufjs code
 * generated from onnx.proto). Tensors go in raw_data, little endian, which
 * is what every runtime reads fastest.
 */
import onnxProto from 'onnx-proto';
import { ONNX_TYPE_CODES as TYPE_CODES, type Attr, type DataType, type OnnxGraph, type OnnxNode, type Tensor, type TensorData, type ValueInfo } from './onnx-ir.js';

const { onnx } = onnxProto;
type Long = { toNumber(): number };

const CODE_TYPES = new Map(Object.entries(TYPE_CODES).map(([k, v]) => [v, k as DataType]));
const ARRAYS: Record<DataType, new (b: ArrayBuffer) => TensorData> = {
  float32: Float32Array,
  int32: Int32Array,
  int64: BigInt64Array,
  int8: Int8Array,
  uint8: Uint8Array,
  bool: Uint8Array,
};

/** The ONNX IR version that goes with an opset (IR 8: opset 13-15, 9: 16-18, 10: 19-22, 11: 23+). */
export function irVersionFor(opset: number): number {
  if (opset <= 15) return 8;
  if (opset <= 18) return 9;
  if (opset <= 22) return 10;
  return 11;
}

export function encodeModel(graph: OnnxGraph): Uint8Array {
  // value_info describes intermediate tensors only; inputs and outputs carry their own.
  const declared = new Set([...graph.inputs, ...graph.outputs].map((v) => v.name));
  const model = onnx.ModelProto.create({
    irVersion: irVersionFor(graph.opset),
    producerName: graph.producer,
    opsetImport: opsetImports(graph),
    metadataProps: Object.entries(graph.metadata).map(([key, value]) => ({ key, value })),
    graph: {
      name: graph.name,
      node: graph.nodes.map(encodeNode),
      initializer: [...graph.initializers].map(([name, t]) => encodeTensor(name, t)),
      input: graph.inputs.map(encodeValueInfo),
      output: graph.outputs.map(encodeValueInfo),
      valueInfo: graph.valueInfo.filter((v) => !declared.has(v.name)).map(encodeValueInfo),
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

function opsetImports(graph: OnnxGraph): { domain: string; version: number }[] {
  const out = [{ domain: '', version: graph.opset }];
  if (graph.nodes.some((n) => n.domain === 'com.microsoft')) out.push({ domain: 'com.microsoft', version: 1 });
  return out;
}

function encodeNode(n: OnnxNode): object {
  return {
    name: n.name,
    opType: n.op,
    domain: n.domain,
    input: n.inputs,
    output: n.outputs,
    attribute: Object.entries(n.attrs).map(([name, a]) => encodeAttr(name, a)),
  };
}

function encodeAttr(name: string, a: Attr): object {
  const T = onnx.AttributeProto.AttributeType;
  switch (a.type) {
    case 'int': return { name, type: T.INT, i: a.value };
    case 'ints': return { name, type: T.INTS, ints: [...a.value] };
    case 'float': return { name, type: T.FLOAT, f: a.value };
    case 'floats': return { name, type: T.FLOATS, floats: [...a.value] };
    case 'string': return { name, type: T.STRING, s: new TextEncoder().encode(a.value) };
  }
}

function encodeTensor(name: string, t: Tensor): object {
  const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  return { name, dims: [...t.dims], dataType: TYPE_CODES[t.dtype], rawData: bytes };
}

function encodeValueInfo(v: ValueInfo): object {
  const shape = v.dims === undefined ? undefined : { dim: v.dims.map((d) => ({ dimValue: d })) };
  return { name: v.name, type: { tensorType: { elemType: TYPE_CODES[v.dtype], ...(shape ? { shape } : {}) } } };
}

export function decodeModel(bytes: Uint8Array): OnnxGraph {
  const model = onnx.ModelProto.decode(bytes);
  const g = model.graph;
  if (!g) throw new Error('ModelProto has no graph');
  const opset = (model.opsetImport ?? []).find((o) => !o.domain)?.version;
  return {
    name: g.name ?? 'graph',
    nodes: (g.node ?? []).map(decodeNode),
    initializers: new Map((g.initializer ?? []).map((t) => [t.name ?? '', decodeTensor(t)])),
    inputs: (g.input ?? []).map(decodeValueInfo),
    outputs: (g.output ?? []).map(decodeValueInfo),
    valueInfo: (g.valueInfo ?? []).map(decodeValueInfo),
    opset: toNumber(opset ?? 0),
    metadata: Object.fromEntries((model.metadataProps ?? []).map((p) => [p.key ?? '', p.value ?? ''])),
    producer: model.producerName ?? '',
  };
}

function decodeNode(n: onnxProto.onnx.INodeProto): OnnxNode {
  const attrs: Record<string, Attr> = {};
  for (const a of n.attribute ?? []) attrs[a.name ?? ''] = decodeAttr(a);
  return { name: n.name ?? '', op: n.opType ?? '', domain: n.domain ?? '', inputs: [...(n.input ?? [])], outputs: [...(n.output ?? [])], attrs };
}

function decodeAttr(a: onnxProto.onnx.IAttributeProto): Attr {
  const T = onnx.AttributeProto.AttributeType;
  switch (a.type) {
    case T.INT: return { type: 'int', value: toNumber(a.i) };
    case T.INTS: return { type: 'ints', value: (a.ints ?? []).map(toNumber) };
    case T.FLOAT: return { type: 'float', value: a.f ?? 0 };
    case T.FLOATS: return { type: 'floats', value: [...(a.floats ?? [])] };
    case T.STRING: return { type: 'string', value: new TextDecoder().decode(a.s ?? new Uint8Array()) };
    default: throw new Error(`attribute ${a.name}: type ${a.type} is not supported`);
  }
}

function decodeTensor(t: onnxProto.onnx.ITensorProto): Tensor {
  const dtype = CODE_TYPES.get(t.dataType ?? 0);
  if (!dtype) throw new Error(`initializer ${t.name}: data type ${t.dataType} is not supported`);
  if (!t.rawData || t.rawData.length === 0) throw new Error(`initializer ${t.name}: only raw_data tensors are supported`);
  // protobufjs hands out Buffers that share one allocation: copy into an aligned buffer of our own.
  const copy = new Uint8Array(t.rawData);
  return { dtype, dims: (t.dims ?? []).map(toNumber), data: new ARRAYS[dtype](copy.buffer) };
}

function decodeValueInfo(v: onnxProto.onnx.IValueInfoProto): ValueInfo {
  const tt = v.type?.tensorType;
  const dtype = CODE_TYPES.get(tt?.elemType ?? 0);
  if (!dtype) throw new Error(`value ${v.name}: element type ${tt?.elemType} is not supported`);
  const dims = tt?.shape ? (tt.shape.dim ?? []).map((d) => toNumber(d.dimValue ?? 0)) : undefined;
  return { name: v.name ?? '', dtype, dims };
}

function toNumber(v: number | Long | null | undefined): number {
  if (v === null || v === undefined) return 0;
  return typeof v === 'number' ? v : v.toNumber();
}
