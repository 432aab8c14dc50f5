/** Every TF op the converter understands, by op type. */
import { activationMappers } from './activation.js';
import { convMappers } from './conv.js';
import { elementwiseMappers } from './elementwise.js';
import { spatialMappers } from './spatial.js';
import { tailMappers } from './tail.js';
import type { OpMapper } from './types.js';

export const OP_MAPPERS: ReadonlyMap<string, OpMapper> = new Map(
  Object.entries({ ...activationMappers, ...convMappers, ...elementwiseMappers, ...spatialMappers, ...tailMappers }),
);
