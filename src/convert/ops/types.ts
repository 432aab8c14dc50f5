/** An op mapper converts one TF node, defining its outputs in the context. */
import type { MapContext } from '../map-context.js';
import type { TfNode } from '../tfjs-graph.js';

export type OpMapper = (ctx: MapContext, node: TfNode) => void;
