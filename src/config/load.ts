/**
 * Reads a YAML config file, validates it once and returns a frozen Config.
 * Errors name the file, the path inside it and what was expected, so an
 * installer can fix the line without reading code.
 */
import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { AgentError } from '../core/errors.js';
import { applyOverrides, envOverrides } from './env.js';
import { ConfigSchema, type Config } from './schema.js';

/** Validate an already-parsed object; `source` names it in errors. */
export function parseConfig(raw: unknown, source: string, env: NodeJS.ProcessEnv = {}): Config {
  const overrides = envOverrides(env);
  const withEnv = overrides.length > 0 ? applyOverrides(raw, overrides) : raw;
  const from = overrides.length > 0 ? `${source} (with ${overrides.map((o) => o.variable).join(', ')})` : source;
  const result = ConfigSchema.safeParse(withEnv ?? {});
  if (!result.success) throw invalid(from, result.error.issues);
  const config = result.data;
  const problems = crossCheck(config);
  if (problems.length > 0) throw new AgentError('CONFIG_INVALID', `${source}: ${problems.join('; ')}`);
  return deepFreeze(config);
}

export function loadConfigFile(path: string, env: NodeJS.ProcessEnv = {}): Config {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new AgentError('CONFIG_NOT_FOUND', `config file ${path} cannot be read (${code ?? String(e)})`, {
      hint: 'check the path given with --config',
    });
  }
  const doc = parseDocument(text, { prettyErrors: true });
  const first = doc.errors[0];
  if (first) {
    const where = first.linePos?.[0];
    const at = where ? `:${where.line}:${where.col}` : '';
    throw new AgentError('CONFIG_INVALID', `${path}${at}: not valid YAML: ${first.message.split('\n')[0]}`);
  }
  return parseConfig(doc.toJS(), path, env);
}

/** The built-in defaults, as used when no config file is given (environment overrides still apply). */
export function defaultConfig(env: NodeJS.ProcessEnv = {}): Config {
  return parseConfig({}, 'built-in defaults', env);
}

function invalid(source: string, issues: readonly z.core.$ZodIssue[]): AgentError {
  const lines = issues.slice(0, 5).map((i) => `${formatPath(i.path)}: ${i.message}`);
  const more = issues.length > 5 ? ` (and ${issues.length - 5} more)` : '';
  return new AgentError('CONFIG_INVALID', `${source}: ${lines.join('; ')}${more}`, {
    hint: 'see config/example.yaml for every key with its default',
  });
}

function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(top level)';
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`)).join('');
}

function crossCheck(config: Config): string[] {
  const problems: string[] = [];
  const names = new Set<string>();
  config.cameras.forEach((cam, i) => {
    if (names.has(cam.name)) problems.push(`cameras[${i}].name: duplicate camera name "${cam.name}"`);
    names.add(cam.name);
    const zones = new Set(cam.zones.map((z) => z.name));
    cam.requiredZones.forEach((z, j) => {
      if (!zones.has(z)) problems.push(`cameras[${i}].requiredZones[${j}]: no zone named "${z}" on this camera`);
    });
  });
  for (const [label, f] of Object.entries(config.confirm.filters)) {
    if (f.minArea > f.maxArea) problems.push(`confirm.filters.${label}: minArea must not exceed maxArea`);
    if (f.minAspect > f.maxAspect) problems.push(`confirm.filters.${label}: minAspect must not exceed maxAspect`);
    if (!(label in config.confirm.labels)) {
      problems.push(`confirm.filters.${label}: not a category of confirm.labels (${Object.keys(config.confirm.labels).join(', ')})`);
    }
  }
  const m = config.mqtt;
  if (m.password !== undefined && m.passwordFile !== undefined) problems.push('mqtt: give password or passwordFile, not both');
  if ((m.cert === undefined) !== (m.key === undefined)) problems.push('mqtt: cert and key go together (mutual TLS)');
  if (m.reconnectInitialS > m.reconnectMaxS) problems.push('mqtt.reconnectInitialS must not exceed reconnectMaxS');
  if (config.supervisor.backoffInitialS > config.supervisor.backoffMaxS) problems.push('supervisor.backoffInitialS must not exceed backoffMaxS');
  return problems;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
