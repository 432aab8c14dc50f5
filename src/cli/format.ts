/** How the CLI prints events and track explanations. */
import type { AgentEvent } from '../events/event.js';
import type { TrackReport } from '../pipeline/camera-pipeline.js';

const round = (v: number, d = 2): number => Math.round(v * 10 ** d) / 10 ** d;

/** The `--json` line: the documented event shape, times in seconds from the input's start. */
export function toJsonLine(e: AgentEvent, snapshot: string | null): string {
  return `${JSON.stringify({
    id: e.id,
    camera: e.camera,
    label: e.label,
    score: round(e.score, 3),
    start_s: round(e.startS),
    end_s: round(e.endS),
    box: e.box,
    snapshot,
  })}\n`;
}

export function formatEventLine(e: AgentEvent, snapshot: string | null): string {
  return `EVENT ${e.label} (${e.objectLabel} ${round(e.score)}) on ${e.camera} from ${round(e.startS, 1)} s to ${round(e.endS, 1)} s, box ${e.box.join(',')}${snapshot ? `, snapshot ${snapshot}` : ''}\n`;
}

export function formatReport(r: TrackReport): string {
  const v = r.verdict;
  const m = v.values;
  const status = r.confirmed ? 'CONFIRMED' : v.status.toUpperCase();
  const shares = Object.entries(m.categoryShare)
    .map(([c, s]) => `${c} ${Math.round(s * 100)}%`)
    .join(' ');
  return (
    `track ${r.trackId} ${r.label} ${round(r.startS, 1)}-${round(r.endS, 1)} s: ${status} by ${v.rule} (${v.reason}); ` +
    `hits ${m.hits}, life ${round(m.lifeS, 1)} s, median score ${round(m.medianScore)}, best ${round(m.bestScore)}, ` +
    `area ${round(m.areaFraction * 100, 2)}%, aspect ${round(m.aspect)}, size jitter ${round(m.sizeJitter)}, ` +
    `erratic ${round(m.erratic)}, speed ${round(m.speed)} diag/s, moved ${round(m.moved)}, labels [${shares}], ` +
    `zones [${m.zones.join(',')}]${m.bornInLightChange ? ', born in light change' : ''}${m.stationary ? ', stationary' : ''}\n`
  );
}
