/** Typed reads of TFJS node attributes; a missing or malformed one is a conversion error naming the node. */
import type { TfNode } from './tfjs-graph.js';

export function attrString(node: TfNode, key: string, fallback?: string): string {
  const a = node.attr[key];
  if (a?.s !== undefined) return Buffer.from(a.s, 'base64').toString('utf8');
  if (fallback !== undefined) return fallback;
  throw missing(node, key);
}

export function attrStrings(node: TfNode, key: string): string[] {
  return (node.attr[key]?.list?.s ?? []).map((s) => Buffer.from(s, 'base64').toString('utf8'));
}

export function attrInts(node: TfNode, key: string, fallback?: number[]): number[] {
  const list = node.attr[key]?.list;
  if (list?.i) return list.i.map(Number);
  if (fallback !== undefined) return fallback;
  throw missing(node, key);
}

export function attrInt(node: TfNode, key: string, fallback?: number): number {
  const a = node.attr[key];
  if (a?.i !== undefined) return Number(a.i);
  if (fallback !== undefined) return fallback;
  throw missing(node, key);
}

export function attrBool(node: TfNode, key: string, fallback: boolean): boolean {
  return node.attr[key]?.b ?? fallback;
}

export function attrType(node: TfNode, key: string): string {
  const t = node.attr[key]?.type;
  if (t === undefined) throw missing(node, key);
  return t;
}

/** The static shape of a Placeholder ("shape" attr). */
export function attrShape(node: TfNode, key: string): number[] {
  const dims = node.attr[key]?.shape?.dim;
  if (!dims) throw missing(node, key);
  return dims.map((d) => Number(d.size));
}

function missing(node: TfNode, key: string): Error {
  return new Error(`${node.op} ${node.name}: attribute ${key} missing or malformed`);
}
