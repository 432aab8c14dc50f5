/**
 * The daemon end to end, as a separate process: two cameras from a real
 * GStreamer RTSP server, a real mosquitto, the real model. Outages of the
 * broker, a SIGKILL of the agent and a dead camera must lose no event and
 * duplicate none (the events table, read at the end, is the ground truth).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ensureClip, PROJECT_ROOT } from '../support/clips.js';
import { Mosquitto, Subscriber, sleep, waitFor } from '../support/mosquitto.js';
import { startRtspServer, type RtspServer } from '../support/rtsp-server.js';

const DEVICE = 'gw-test';
let dir: string;
let broker: Mosquitto;
let rtsp: RtspServer;
/** One server per camera: one GStreamer server process serving two clients at once was seen to wedge (bench/cameras.ts). */
let rtspYard: RtspServer;
let sub: Subscriber;
let agent: Agent | null = null;

interface Agent {
  child: ChildProcess;
  stderr: () => string;
  exited: Promise<number | null>;
}

function startAgent(config: string): Agent {
  const child = spawn(process.execPath, ['dist/src/cli/main.js', 'run', '--config', config], { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (b: Buffer) => (err = (err + b.toString()).slice(-200_000)));
  child.stdout!.resume();
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, stderr: () => err, exited };
}

async function stopAgent(a: Agent | null, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  if (!a || a.child.exitCode !== null) return a?.child.exitCode ?? null;
  a.child.kill(signal);
  const timer = setTimeout(() => a.child.kill('SIGKILL'), 30_000);
  const code = await a.exited;
  clearTimeout(timer);
  return code;
}

/** Event messages received, by id. */
function received(): Map<string, number> {
  const ids = new Map<string, number>();
  for (const m of sub.messages.filter((x) => x.topic === `edge-agent/${DEVICE}/events`)) {
    const id = (JSON.parse(m.payload.toString()) as { id: string }).id;
    ids.set(id, (ids.get(id) ?? 0) + 1);
  }
  return ids;
}

function storedIds(): string[] {
  const db = new Database(join(dir, 'events.db'), { readonly: true });
  try {
    return (db.prepare('SELECT id FROM events ORDER BY rowid').all() as { id: string }[]).map((r) => r.id);
  } finally {
    db.close();
  }
}

function writeConfig(): string {
  const path = join(dir, 'config.yaml');
  writeFileSync(
    path,
    [
      `device: { id: ${DEVICE} }`,
      'cameras:',
      `  - name: door\n    input: ${rtsp.url('person')}\n    detect: { fps: 5 }\n    stallTimeoutS: 5`,
      `  - name: yard\n    input: ${rtspYard.url('empty')}\n    detect: { fps: 5 }\n    stallTimeoutS: 5`,
      'supervisor: { backoffInitialS: 0.5, backoffMaxS: 4 }',
      `mqtt: { url: "${broker.url}", reconnectInitialS: 0.5, reconnectMaxS: 3, statsIntervalS: 5 }`,
      `storage: { db: ${join(dir, 'events.db')}, snapshots: ${join(dir, 'snaps')} }`,
      '',
    ].join('\n'),
  );
  return path;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'daemon-'));
  const [person, empty] = await Promise.all([ensureClip('person-crossing'), ensureClip('empty-scene')]);
  broker = await Mosquitto.start();
  rtsp = await startRtspServer({ mounts: { person: person.path } });
  rtspYard = await startRtspServer({ mounts: { empty: empty.path } });
  sub = await Subscriber.connect(broker.url, [`edge-agent/${DEVICE}/#`], { clientId: 'cloud-test', clean: false });
});

after(async () => {
  await stopAgent(agent, 'SIGKILL');
  await sub?.close();
  await rtsp?.stop();
  await rtspYard?.stop();
  await broker?.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

test('a person on one of two cameras reaches the cloud as an event with its snapshot; the other camera stays quiet', async () => {
  agent = startAgent(writeConfig());
  await sub.next((m) => m.topic === `edge-agent/${DEVICE}/availability` && m.payload.toString() === 'online', 60_000, 'online');
  const ev = await sub.next((m) => m.topic === `edge-agent/${DEVICE}/events`, 90_000, 'the first event');
  const e = JSON.parse(ev.payload.toString()) as { id: string; camera: string; label: string; device: string; snapshot: { topic: string; sha256: string; bytes: number } | null };
  assert.equal(e.camera, 'door');
  assert.equal(e.label, 'person');
  assert.equal(e.device, DEVICE);
  assert.ok(e.snapshot, 'the event names its snapshot');
  const snap = sub.messages.find((m) => m.topic === e.snapshot!.topic);
  assert.ok(snap, 'the snapshot was published before the event');
  assert.equal(createHash('sha256').update(snap!.payload).digest('hex'), e.snapshot!.sha256);
  assert.equal(snap!.payload[0], 0xff);
  await sub.next((m) => m.topic === `edge-agent/${DEVICE}/cameras/yard/state`, 30_000, 'yard state');
  // A subscriber arriving later gets the camera state from the broker's retained copy.
  const late = await Subscriber.connect(broker.url, [`edge-agent/${DEVICE}/cameras/+/state`]);
  try {
    const state = await late.next((m) => m.topic.endsWith('/yard/state'), 10_000, 'retained yard state');
    assert.equal(state.retain, true);
    assert.equal((JSON.parse(state.payload.toString()) as { state: string }).state, 'running');
  } finally {
    await late.close();
  }
  assert.ok(!sub.messages.some((m) => m.topic === `edge-agent/${DEVICE}/events` && m.payload.toString().includes('"camera":"yard"')));
});

test('broker down for 30 s while events occur: every stored event arrives once', async () => {
  await broker.stop();
  const storedBefore = storedIds().length;
  await sleep(30_000);
  const storedDuring = storedIds().length - storedBefore;
  await broker.restart();
  await waitFor(() => storedIds().every((id) => received().has(id)), 90_000, 'the backlog to drain');
  const dup = [...received().values()].filter((n) => n > 1).length;
  process.stderr.write(`outage: ${storedDuring} events stored while the broker was down, ${storedIds().length} stored, ${received().size} received, ${dup} duplicated\n`);
  assert.ok(storedDuring >= 1, 'events kept occurring during the outage');
  assert.equal(dup, 0);
});

test('agent killed with SIGKILL while events are undelivered: after restart the outbox drains', async () => {
  await broker.stop();
  const before = storedIds().length;
  await waitFor(() => storedIds().length > before, 60_000, 'an event stored while the broker is down');
  await stopAgent(agent, 'SIGKILL');
  const undelivered = storedIds().filter((id) => !received().has(id));
  assert.ok(undelivered.length >= 1);
  await broker.restart();
  agent = startAgent(writeConfig());
  await waitFor(() => undelivered.every((id) => received().has(id)), 90_000, 'the events stored before the kill');
  assert.equal([...received().values()].filter((n) => n > 1).length, 0);
  process.stderr.write(`sigkill: ${undelivered.length} undelivered at the kill, all delivered after restart\n`);
});

test('camera server killed and restarted: the camera reconnects within the backoff cap and events resume', async () => {
  rtsp.kill();
  await sleep(3000);
  const count = received().size;
  const t0 = Date.now();
  await rtsp.restart();
  await waitFor(() => received().size > count, 120_000, 'an event after the RTSP server came back');
  process.stderr.write(`rtsp: next event ${((Date.now() - t0) / 1000).toFixed(1)} s after the server restarted\n`);
  const code = await stopAgent(agent);
  agent = null;
  assert.equal(code, 0, 'SIGTERM stops cleanly');
  const offline = sub.messages.filter((m) => m.topic === `edge-agent/${DEVICE}/availability`).pop();
  assert.equal(offline?.payload.toString(), 'offline');
  const stored = storedIds();
  const got = received();
  assert.deepEqual(stored.filter((id) => !got.has(id)), [], 'no stored event is lost');
});

test('a malformed config stops the daemon with one clear line and a non-zero exit', async () => {
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, 'cameras:\n  - name: door\n    detect: { fps: fast }\n');
  const a = startAgent(bad);
  const code = await a.exited;
  assert.equal(code, 1);
  assert.match(a.stderr(), /^error CONFIG_INVALID: .*bad\.yaml: cameras\[0\]\.detect\.fps/m);
  assert.doesNotMatch(a.stderr(), /\n\s+at /);
});
