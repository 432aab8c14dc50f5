/**
 * A real mosquitto for tests: its own loopback port, config, password file,
 * TLS certificates and log in a temp dir. `stop()` / `restart()` keep the
 * port, so clients configured with the URL can reconnect; `cleanup()` stops
 * it and removes the dir (also run at process exit, so a failing test cannot
 * leave a broker behind).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import pino, { type Logger } from 'pino';
import sharp from 'sharp';
import { newEventId, type AgentEvent } from '../../src/events/event.js';
import { EventStore } from '../../src/events/store.js';

const run = promisify(execFile);

export interface MosquittoOptions {
  /** Users for a password file (`mosquitto_passwd -b -c`); anonymous access is then refused. */
  users?: Record<string, string>;
  /** Serve TLS (mqtts) with a self-signed CA and server cert made by openssl in the temp dir. */
  tls?: boolean;
  /** Keep sessions and queued messages across restart() (saved on SIGTERM). Default false. */
  persistence?: boolean;
  /** mosquitto ACL file text (needs users). */
  acl?: string;
}

/** How long start() waits for the listener, ms. */
const START_TIMEOUT_MS = 10_000;
/** How long stop() waits for the process to exit after SIGTERM before SIGKILL, ms. */
const STOP_TIMEOUT_MS = 5_000;

const live = new Set<ChildProcess>();
const dirs = new Set<string>();
// A test that throws past its cleanup must not leave a broker or its files behind.
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

export class Mosquitto {
  readonly dir: string;
  readonly port: number;
  /** The CA certificate clients must trust (tls only). */
  readonly caFile: string | undefined;
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();

  private constructor(dir: string, port: number, caFile: string | undefined) {
    this.dir = dir;
    this.port = port;
    this.caFile = caFile;
  }

  /** Starts a broker on a free loopback port and waits until it accepts connections. */
  static async start(opts: MosquittoOptions = {}): Promise<Mosquitto> {
    const dir = mkdtempSync(join(tmpdir(), 'mosquitto-'));
    dirs.add(dir);
    try {
      const port = await freePort();
      const caFile = opts.tls ? await makeCertificates(dir) : undefined;
      if (opts.users) await writePasswords(dir, opts.users);
      writeFileSync(join(dir, 'mosquitto.conf'), config(dir, port, opts));
      if (opts.acl !== undefined) writeFileSync(join(dir, 'acl'), opts.acl);
      const broker = new Mosquitto(dir, port, caFile);
      await broker.launch();
      return broker;
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
  }

  get url(): string {
    return `${this.caFile ? 'mqtts' : 'mqtt'}://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  /** mosquitto's own log (connections, refusals), for failure messages. */
  log(): string {
    try {
      return readFileSync(join(this.dir, 'mosquitto.log'), 'utf8');
    } catch {
      return '';
    }
  }

  /** SIGTERM, then waits for the exit (SIGKILL after STOP_TIMEOUT_MS). */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await this.exited;
    clearTimeout(timer);
  }

  /** Stops and starts again on the same port with the same config. */
  async restart(): Promise<void> {
    await this.stop();
    await this.launch();
  }

  /** Stops the broker and removes its temp dir. Safe to call twice. */
  async cleanup(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
    dirs.delete(this.dir);
  }

  private async launch(): Promise<void> {
    const child = spawn('mosquitto', ['-c', join(this.dir, 'mosquitto.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    this.child = child;
    live.add(child);
    this.exited = new Promise<void>((resolve) => {
      child.once('exit', () => {
        live.delete(child);
        if (this.child === child) this.child = undefined;
        resolve();
      });
      child.once('error', () => resolve());
    });
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (!(await accepts(this.port))) {
      if (!this.child || Date.now() > deadline) {
        child.kill('SIGKILL');
        await this.exited;
        throw new Error(`mosquitto did not start on port ${this.port}: ${stderr}${this.log()}`);
      }
      await sleep(25);
    }
  }
}

function config(dir: string, port: number, opts: MosquittoOptions): string {
  const lines = [
    `listener ${port} 127.0.0.1`,
    // Root would otherwise drop to the 'mosquitto' user, who cannot read the temp dir.
    `user ${userInfo().username}`,
    `log_dest file ${join(dir, 'mosquitto.log')}`,
    'log_type all',
    `persistence ${opts.persistence ? 'true' : 'false'}`,
  ];
  if (opts.persistence) lines.push(`persistence_location ${dir}/`, 'autosave_interval 1');
  lines.push(opts.users ? `password_file ${join(dir, 'passwd')}` : 'allow_anonymous true');
  if (opts.users) lines.push('allow_anonymous false');
  if (opts.acl !== undefined) lines.push(`acl_file ${join(dir, 'acl')}`);
  if (opts.tls) lines.push(`cafile ${join(dir, 'ca.crt')}`, `certfile ${join(dir, 'server.crt')}`, `keyfile ${join(dir, 'server.key')}`);
  return lines.join('\n') + '\n';
}

async function writePasswords(dir: string, users: Record<string, string>): Promise<void> {
  const file = join(dir, 'passwd');
  let first = true;
  for (const [user, password] of Object.entries(users)) {
    await run('mosquitto_passwd', first ? ['-b', '-c', file, user, password] : ['-b', file, user, password]);
    first = false;
  }
}

/** A CA and a server certificate for 127.0.0.1 / localhost; returns the CA file. */
async function makeCertificates(dir: string): Promise<string> {
  const p = (name: string): string => join(dir, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await run('openssl', ['req', '-x509', ...ec, '-keyout', p('ca.key'), '-out', p('ca.crt'), '-days', '2', '-subj', '/CN=edge-agent test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  await run('openssl', ['req', ...ec, '-keyout', p('server.key'), '-out', p('server.csr'), '-subj', '/CN=localhost']);
  writeFileSync(p('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  await run('openssl', ['x509', '-req', '-in', p('server.csr'), '-CA', p('ca.crt'), '-CAkey', p('ca.key'), '-CAcreateserial',
    '-out', p('server.crt'), '-days', '2', '-extfile', p('server.ext')]);
  return p('ca.crt');
}

/** A port the OS just handed out on 127.0.0.1 (bind port 0, read it, close). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** One message a Subscriber received. */
export interface Received {
  topic: string;
  payload: Buffer;
  retain: boolean;
}

/**
 * The cloud side in tests: an mqtt.js client that records every message on
 * its subscriptions (QoS 1), in arrival order.
 */
export class Subscriber {
  readonly messages: Received[] = [];

  private constructor(readonly client: MqttClient) {
    client.on('message', (topic, payload, packet) => this.messages.push({ topic, payload, retain: packet.retain }));
  }

  /**
   * Connects and subscribes. A fixed `clientId` with `clean: false` gives it a
   * persistent session, so a broker with persistence queues for it while it
   * is away; it reconnects every 100 ms.
   */
  static async connect(url: string, topics: string[], options: IClientOptions = {}): Promise<Subscriber> {
    const client = await mqtt.connectAsync(url, { reconnectPeriod: 100, connectTimeout: 5000, ...options });
    const sub = new Subscriber(client);
    await client.subscribeAsync(topics, { qos: 1 });
    return sub;
  }

  on(topic: string): Received[] {
    return this.messages.filter((m) => m.topic === topic);
  }

  /** Waits (bounded) until a message matches; returns it. */
  async next(match: (m: Received) => boolean, timeoutMs = 10_000, what = 'a message'): Promise<Received> {
    let found: Received | undefined;
    await waitFor(() => (found = this.messages.find(match)) !== undefined, timeoutMs, what);
    return found as Received;
  }

  async close(): Promise<void> {
    await this.client.endAsync(true);
  }
}

/** Polls `cond` every 20 ms until it holds; throws naming `what` after `timeoutMs`. */
export async function waitFor(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

// Fixtures shared by the MQTT and outbox tests.

/** A pino logger writing JSON lines into memory, to assert on what was (not) logged. */
export function captureLogger(level = 'debug'): { logger: Logger; text: () => string } {
  const lines: string[] = [];
  const logger = pino({ level, base: undefined }, { write: (s: string) => void lines.push(s) });
  return { logger, text: () => lines.join('') };
}

/** A confirmed event as the pipeline saves it (without the snapshot path). */
export function makeEvent(over: Partial<Omit<AgentEvent, 'snapshot'>> = {}): Omit<AgentEvent, 'snapshot'> {
  return {
    id: newEventId(),
    camera: 'driveway',
    label: 'vehicle',
    objectLabel: 'car',
    score: 0.87,
    startS: 12.5,
    endS: 19.25,
    startedAt: '2024-05-01T23:59:58.500Z',
    endedAt: '2024-05-02T00:00:05.250Z',
    box: [80, 60, 240, 180],
    trackId: 42,
    modelVersion: 'centernet-2024.04',
    ...over,
  };
}

/** A real JPEG of noise (so every one differs and compresses like a photo), about 20-40 kB. */
export function noiseJpeg(width = 320, height = 240): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 40 } } })
    .jpeg({ quality: 80 })
    .toBuffer();
}

/** An open EventStore in a fresh folder under `root`. */
export function tempStore(root: string, name: string): { store: EventStore; dbPath: string; snapshotDir: string } {
  const dbPath = join(root, name, 'events.db');
  const snapshotDir = join(root, name, 'snapshots');
  const store = new EventStore({ dbPath, snapshotDir });
  store.open();
  return { store, dbPath, snapshotDir };
}
