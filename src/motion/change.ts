/**
 * Per-pixel change against the background model, and the global-lighting
 * test on its totals.
 */

/** Totals of one frame's change, over watched (unmasked) small pixels. */
export interface ChangeStats {
  /** Pixels whose |frame - background| exceeds the threshold. */
  changed: number;
  /** Of those, pixels brighter than the background. */
  brighter: number;
  /** First and last small rows holding a changed pixel (-1 when none), so later passes can skip still rows. */
  firstRow: number;
  lastRow: number;
}

/**
 * Marks in `out` (0/1) the watched pixels of a `w`-wide image differing from
 * `background` by more than `threshold` luma levels, and fills `stats`.
 */
export function changeMask(
  frame: Float32Array,
  background: Float32Array,
  excluded: Uint8Array,
  threshold: number,
  w: number,
  out: Uint8Array,
  stats: ChangeStats,
): void {
  stats.changed = 0;
  stats.brighter = 0;
  stats.firstRow = -1;
  stats.lastRow = -1;
  for (let row = 0, y = 0; row < frame.length; row += w, y++) {
    const before = stats.changed;
    changeRow(frame, background, excluded, threshold, row, row + w, out, stats);
    if (stats.changed === before) continue;
    if (stats.firstRow < 0) stats.firstRow = y;
    stats.lastRow = y;
  }
}

function changeRow(
  frame: Float32Array,
  background: Float32Array,
  excluded: Uint8Array,
  threshold: number,
  from: number,
  to: number,
  out: Uint8Array,
  stats: ChangeStats,
): void {
  let changed = 0;
  let brighter = 0;
  for (let i = from; i < to; i++) {
    const d = frame[i]! - background[i]!;
    const hit = excluded[i] === 0 && (d > threshold || d < -threshold);
    out[i] = hit ? 1 : 0;
    if (!hit) continue;
    changed++;
    if (d > 0) brighter++;
  }
  stats.changed += changed;
  stats.brighter += brighter;
}

/** Share of changed pixels that moved in the majority direction, above which a step counts as lighting. */
const ONE_DIRECTION_SHARE = 0.9;

/**
 * Whether a frame's change is global lighting rather than motion.
 *
 * Above `lightChangeFraction` changed, it is lighting whatever the direction:
 * nothing useful can be located in such a frame anyway (Frigate's rule).
 *
 * Above `globalChangeFraction`, it is lighting when more than 90 % of the
 * changed pixels moved the same way, i.e. the median signed difference has
 * the sign of nearly all of them. Lights switching on (or off, or an IR cut
 * filter flipping) brighten (darken) everything at once, but dark or
 * saturated parts of the scene barely move, so a real step often changes only
 * half the pixels; a large object close to the lens also changes half the
 * frame but both ways, since it is darker than some of the background it
 * covers and brighter than the rest.
 */
export function isLightChange(
  stats: ChangeStats,
  watched: number,
  lightChangeFraction: number,
  globalChangeFraction: number,
): boolean {
  if (stats.changed === 0 || watched === 0) return false;
  const fraction = stats.changed / watched;
  if (fraction > lightChangeFraction) return true;
  if (fraction <= globalChangeFraction) return false;
  const majority = Math.max(stats.brighter, stats.changed - stats.brighter);
  return majority / stats.changed > ONE_DIRECTION_SHARE;
}

/**
 * Running average background <- background + alpha * (frame - background).
 * Updated everywhere, moving regions included, as Frigate does: a stopped
 * object (a parked car) then fades into the background after about 1/alpha
 * frames instead of producing motion forever, and no per-pixel state about
 * what was moving has to be kept right.
 */
export function updateBackground(background: Float32Array, frame: Float32Array, alpha: number): void {
  for (let i = 0; i < frame.length; i++) background[i] = background[i]! + alpha * (frame[i]! - background[i]!);
}
