/**
 * Turns a confirmed track into a stored event: snapshot JPEG, then the row.
 * Shared by `analyze` and the daemon so both store exactly the same thing.
 */
import type { ConfirmedTrack } from '../pipeline/camera-pipeline.js';
import type { AgentEvent } from './event.js';
import { newEventId } from './event.js';
import { renderSnapshot } from './snapshot.js';
import type { EventStore } from './store.js';

/** `baseMs`: wall-clock time (ms since the epoch) of the input's t = 0. */
export async function recordEvent(store: EventStore, t: ConfirmedTrack, modelVersion: string, baseMs: number): Promise<AgentEvent> {
  const jpeg = t.snapshot ? await renderSnapshot(t.snapshot.frame, t.snapshot.box, { label: t.objectLabel, score: t.score }) : null;
  return store.save(
    {
      id: newEventId(),
      camera: t.camera,
      label: t.category,
      objectLabel: t.objectLabel,
      score: t.score,
      startS: t.startS,
      endS: t.endS,
      startedAt: new Date(baseMs + t.startS * 1000).toISOString(),
      endedAt: new Date(baseMs + t.endS * 1000).toISOString(),
      box: [t.box[0], t.box[1], t.box[2], t.box[3]].map((v) => Math.round(v)) as [number, number, number, number],
      trackId: t.trackId,
      modelVersion,
      explain: { rule: t.verdict.rule, reason: t.verdict.reason, values: t.verdict.values },
    },
    jpeg,
  );
}
