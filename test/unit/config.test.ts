/**
 * The config schema and loader: the shipped example is valid and shows the
 * defaults, and every kind of mistake an installer makes is refused with
 * CONFIG_INVALID / CONFIG_NOT_FOUND naming the file and the path inside it.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { defaultConfig, loadConfigFile, parseConfig } from '../../src/config/load.js';
import { AgentError, type ErrorCode } from '../../src/core/errors.js';

/** Nearest folder up with package.json and tsconfig.json (tsc may copy a package.json into dist/, never tsconfig). */
function projectRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'tsconfig.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no project root above ${from}`);
  }
}

const ROOT = projectRoot(dirname(fileURLToPath(import.meta.url)));
const EXAMPLE = join(ROOT, 'config', 'example.yaml');

function agentErrorOf(fn: () => unknown, code: ErrorCode): AgentError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof AgentError, `expected an AgentError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    return e;
  }
  assert.fail(`expected ${code}, nothing was thrown`);
}

interface RawCamera {
  name: string;
  zones?: { name: string }[];
}

describe('config/example.yaml', () => {
  it('loads through loadConfigFile with every camera and zone it declares', () => {
    const raw = parse(readFileSync(EXAMPLE, 'utf8')) as { cameras: RawCamera[] };
    const config = loadConfigFile(EXAMPLE);
    assert.ok(raw.cameras.length > 0, 'the example declares no camera');
    assert.deepEqual(config.cameras.map((c) => c.name), raw.cameras.map((c) => c.name));
    raw.cameras.forEach((cam, i) => {
      const loaded = config.cameras[i]!;
      assert.deepEqual(loaded.zones.map((z) => z.name), (cam.zones ?? []).map((z) => z.name), `zones of ${cam.name}`);
    });
    const front = config.cameras[0]!;
    assert.equal(front.name, 'front-door');
    assert.deepEqual(front.requiredZones, ['driveway']);
    assert.deepEqual(front.detect, { width: 1280, height: 720, fps: 5 });
    assert.equal(front.masks.length, 1);
  });

  it('shows the built-in defaults for every section outside cameras', () => {
    const example = loadConfigFile(EXAMPLE);
    const defaults = defaultConfig();
    for (const section of ['motion', 'detector', 'regions', 'tracker', 'confirm', 'storage'] as const) {
      assert.deepEqual(example[section], defaults[section], `example.yaml ${section} differs from the schema defaults`);
    }
  });
});

describe('defaults', () => {
  it('are the values schema.ts documents', () => {
    const d = defaultConfig();
    assert.equal(d.cameras.length, 1);
    assert.equal(d.cameras[0]!.name, 'default');
    assert.equal(d.cameras[0]!.detect.fps, 5);
    assert.equal(d.motion.threshold, 30);
    assert.equal(d.motion.height, 120);
    assert.equal(d.confirm.medianScore, 0.45);
    assert.equal(d.confirm.minScore, 0.35);
    assert.equal(d.confirm.minHits, 3);
    assert.deepEqual(d.confirm.labels, { person: ['person'], vehicle: ['car', 'truck', 'bus', 'motorcycle'] });
    assert.equal(d.detector.model, 'models/centernet-coco-int8');
    assert.equal(d.detector.runtime, 'auto');
    assert.equal(d.regions.maxRegions, 3);
    assert.equal(d.regions.padding, 1.5);
    assert.equal(d.tracker.maxGapS, 2);
  });

  it('fill in the keys a partial section leaves out', () => {
    const c = parseConfig({ cameras: [{ name: 'yard', detect: { width: 640 } }], motion: { threshold: 12 } }, 'partial.yaml');
    assert.equal(c.cameras[0]!.detect.fps, 5);
    assert.equal(c.cameras[0]!.detect.width, 640);
    assert.equal(c.motion.threshold, 12);
    assert.equal(c.motion.alpha, 0.01);
    assert.equal(c.confirm.medianScore, 0.45);
  });
});

describe('parseConfig rejects', () => {
  it('an unknown key, naming the source, the section and the key', () => {
    const e = agentErrorOf(() => parseConfig({ confirm: { medianScor: 0.5 } }, 'site.yaml'), 'CONFIG_INVALID');
    assert.match(e.message, /^site\.yaml: /);
    assert.match(e.message, /\bconfirm\b/);
    assert.match(e.message, /medianScor/);
  });

  it('a wrong type, naming the dotted path', () => {
    const e = agentErrorOf(() => parseConfig({ motion: { threshold: 'high' } }, 'site.yaml'), 'CONFIG_INVALID');
    assert.match(e.message, /motion\.threshold/);
    assert.match(e.message, /number/);
  });

  it('an out-of-range value', () => {
    const e = agentErrorOf(() => parseConfig({ motion: { threshold: 300 } }, 'site.yaml'), 'CONFIG_INVALID');
    assert.match(e.message, /motion\.threshold/);
  });

  it('a required zone that the camera does not have, naming its index', () => {
    const raw = { cameras: [{ name: 'gate', zones: [{ name: 'path', polygon: [[0, 0], [10, 0], [10, 10]] }], requiredZones: ['driveway'] }] };
    const e = agentErrorOf(() => parseConfig(raw, 'site.yaml'), 'CONFIG_INVALID');
    assert.match(e.message, /cameras\[0\]\.requiredZones\[0\]/);
    assert.match(e.message, /driveway/);
  });

  it('two cameras with the same name', () => {
    const e = agentErrorOf(() => parseConfig({ cameras: [{ name: 'gate' }, { name: 'gate' }] }, 'site.yaml'), 'CONFIG_INVALID');
    assert.match(e.message, /cameras\[1\]\.name/);
    assert.match(e.message, /duplicate/);
    assert.match(e.message, /gate/);
  });
});

describe('loadConfigFile', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'config-test-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function file(name: string, text: string): Promise<string> {
    const path = join(dir, name);
    await writeFile(path, text);
    return path;
  }

  it('names the file and the key path of a schema error', async () => {
    const path = await file('unknown-key.yaml', 'confirm:\n  medianScor: 0.5\n');
    const e = agentErrorOf(() => loadConfigFile(path), 'CONFIG_INVALID');
    assert.ok(e.message.startsWith(`${path}: `), e.message);
    assert.match(e.message, /confirm.*medianScor/);
  });

  it('reports invalid YAML as file:line:col', async () => {
    // Line 3 repeats a key of the same mapping: yaml reports it at line 3, column 3.
    const path = await file('bad.yaml', 'motion:\n  threshold: 30\n  threshold: 40\n');
    const e = agentErrorOf(() => loadConfigFile(path), 'CONFIG_INVALID');
    assert.ok(e.message.startsWith(`${path}:3:3: `), e.message);
    assert.match(e.message, /not valid YAML/);
    assert.doesNotMatch(e.message, /\n/, 'the error must stay one line');
  });

  it('refuses a missing file with CONFIG_NOT_FOUND naming it', () => {
    const path = join(dir, 'does-not-exist.yaml');
    const e = agentErrorOf(() => loadConfigFile(path), 'CONFIG_NOT_FOUND');
    assert.ok(e.message.includes(path), e.message);
  });

  it('treats an empty file as all defaults', async () => {
    const path = await file('empty.yaml', '');
    assert.deepEqual(loadConfigFile(path), defaultConfig());
  });

  // ES modules are strict mode: assigning to a frozen property throws a TypeError.
  it('returns a deeply frozen config', () => {
    const config = loadConfigFile(EXAMPLE);
    assert.ok(Object.isFrozen(config));
    assert.ok(Object.isFrozen(config.motion));
    assert.ok(Object.isFrozen(config.cameras));
    assert.ok(Object.isFrozen(config.cameras[0]!.zones[0]!.polygon[0]));
    assert.ok(Object.isFrozen(config.confirm.labels.person));
    assert.throws(() => {
      (config.motion as { threshold: number }).threshold = 1;
    }, TypeError);
    assert.throws(() => {
      (config.cameras as unknown as unknown[]).push({});
    }, TypeError);
    assert.equal(config.motion.threshold, 30);
  });
});
