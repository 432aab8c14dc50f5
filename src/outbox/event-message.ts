/**
 * The wire form of a stored event: the JSON on `<prefix>/<device>/events`
 * and the reference to its snapshot message.
 */
import { createHash } from 'node:crypto';
import type { AgentEvent } from '../events/event.js';
import type { EventMessage, SnapshotRef } from '../mqtt/topics.js';

export function snapshotRef(topic: string, jpeg: Uint8Array): SnapshotRef {
  return { topic, bytes: jpeg.byteLength, sha256: createHash('sha256').update(jpeg).digest('hex') };
}

export function eventMessage(event: AgentEvent, device: string, snapshot: SnapshotRef | null): EventMessage {
  return {
    id: event.id,
    device,
    camera: event.camera,
    label: event.label,
    objectLabel: event.objectLabel,
    score: event.score,
    start: event.startedAt,
    end: event.endedAt,
    start_s: event.startS,
    end_s: event.endS,
    box: [...event.box],
    snapshot,
    modelVersion: event.modelVersion,
  };
}
