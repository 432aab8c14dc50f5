/**
 * Environment overrides, derived from the config's own paths:
 * `EDGE_AGENT__MQTT__URL=mqtts://...` sets `mqtt.url`,
 * `EDGE_AGENT__MQTT__PASSWORD_FILE=/run/secrets/mqtt` sets `mqtt.passwordFile`,
 * `EDGE_AGENT__CAMERAS__0__INPUT=rtsp://...` sets `cameras[0].input`.
 * Segments are separated by `__`; SNAKE_CASE becomes camelCase; values are
 * read as YAML scalars (numbers, booleans, strings). The schema validates the
 * result as it validates the file, and errors name the variable.
 */
import { parse } from 'yaml';

export const ENV_PREFIX = 'EDGE_AGENT__';

export interface Override {
  readonly variable: string;
  readonly path: (string | number)[];
  readonly value: unknown;
}

export function envOverrides(env: NodeJS.ProcessEnv): Override[] {
  return Object.entries(env)
    .filter(([k, v]) => k.startsWith(ENV_PREFIX) && v !== undefined)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([variable, v]) => ({ variable, path: toPath(variable.slice(ENV_PREFIX.length)), value: scalar(v!) }));
}

/** Applies overrides onto a copy of the parsed file (plain objects and arrays only). */
export function applyOverrides(raw: unknown, overrides: readonly Override[]): unknown {
  const root: Record<string, unknown> = structuredClone((raw ?? {}) as Record<string, unknown>);
  for (const o of overrides) setPath(root, o.path, o.value);
  return root;
}

function toPath(rest: string): (string | number)[] {
  return rest
    .split('__')
    .filter(Boolean)
    .map((seg) => (/^\d+$/.test(seg) ? Number(seg) : camel(seg)));
}

function camel(seg: string): string {
  return seg.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

function scalar(v: string): unknown {
  try {
    const parsed: unknown = parse(v);
    return parsed !== null && typeof parsed === 'object' ? v : parsed ?? v;
  } catch {
    return v;
  }
}

function setPath(root: Record<string, unknown>, path: readonly (string | number)[], value: unknown): void {
  let node: Record<string | number, unknown> = root;
  path.forEach((key, i) => {
    if (i === path.length - 1) {
      node[key] = value;
      return;
    }
    const next = node[key];
    if (next === null || typeof next !== 'object') node[key] = typeof path[i + 1] === 'number' ? [] : {};
    node = node[key] as Record<string | number, unknown>;
  });
}
