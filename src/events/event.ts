/**
 * A confirmed event: what the agent publishes and stores. One event is one
 * track that passed the confirmation rules, summarised by its best detection.
 */
import { randomUUID } from 'node:crypto';

export interface AgentEvent {
  /** Unique id; `newEventId()` (a v4 UUID) unless the caller has its own scheme. */
  id: string;
  /** Camera name from the config; also a folder name under the snapshot dir. */
  camera: string;
  /** The category the rules confirmed: 'person' | 'vehicle'. */
  label: string;
  /** The detector's own label behind the category, e.g. 'car', 'bus'. */
  objectLabel: string;
  /** Best detector score of the track, 0..1. */
  score: number;
  /** Seconds from the start of the input (frame presentation time). */
  startS: number;
  endS: number;
  /** ISO 8601 wall-clock times (UTC, `Date.prototype.toISOString`). */
  startedAt: string;
  endedAt: string;
  /** Best box [x1, y1, x2, y2] in frame pixels. */
  box: [number, number, number, number];
  /** JPEG path relative to the store's snapshot dir, or null when there is none. */
  snapshot: string | null;
  /** Tracker id, unique per camera while the agent runs (not across restarts). */
  trackId: number;
  /** Version string of the model that produced the detections. */
  modelVersion: string;
  /** The confirmation rule values that let the event through (stored as JSON). */
  explain?: Record<string, unknown>;
}

/**
 * A fresh event id. Random rather than `${camera}-${startS}-${trackId}`
 * because startS and trackId both restart from zero when the agent or the
 * input restarts, so such ids would collide with earlier events.
 */
export function newEventId(): string {
  return randomUUID();
}
