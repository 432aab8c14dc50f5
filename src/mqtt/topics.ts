/**
 * The agent's MQTT API in one place: every topic, its QoS, retain flag and
 * payload type. Publishers build messages through `Topics.message`, so a topic
 * cannot be sent with the wrong QoS or payload, and the README table is
 * generated from the same declarations (`topicsTable`), so docs cannot drift.
 */

export type Availability = 'online' | 'offline';

/** Where a consumer finds an event's snapshot, and how to check it. */
export interface SnapshotRef {
  topic: string;
  /** Size of the JPEG, bytes. */
  bytes: number;
  /** SHA-256 of the JPEG, lowercase hex. */
  sha256: string;
}

/** The JSON of one confirmed event. */
export interface EventMessage {
  id: string;
  device: string;
  camera: string;
  /** The confirmed category: 'person' | 'vehicle'. */
  label: string;
  /** The detector's own label, e.g. 'car'. */
  objectLabel: string;
  score: number;
  /** ISO 8601 UTC wall-clock times. */
  start: string;
  end: string;
  /** Seconds from the start of the camera's input. */
  start_s: number;
  end_s: number;
  /** [x1, y1, x2, y2] in frame pixels. */
  box: [number, number, number, number];
  /** Published on its own topic before this message; null when there is none. */
  snapshot: SnapshotRef | null;
  modelVersion: string;
}

export type CameraRunState = 'starting' | 'running' | 'stalled' | 'restarting' | 'stopped' | 'failed';

/** What the camera supervisor reports about one camera. */
export interface CameraStatus {
  state: CameraRunState;
  /** ISO time the camera entered this state. */
  since?: string;
  /** Frames analysed per second, recent average. */
  fps?: number;
  /** Restarts since the agent started. */
  restarts?: number;
  /** The coded failure behind 'stalled' / 'restarting' / 'failed'. */
  error?: { code: string; message: string };
}

export interface CameraStateMessage extends CameraStatus {
  camera: string;
  /** ISO time of this message. */
  at: string;
}

export interface StatsMessage {
  device: string;
  /** ISO time of this message. */
  at: string;
  uptimeS: number;
  mqtt: { connected: boolean; reconnects: number; lastError: string | null };
  outbox: { sent: number; delivered: number; failed: number; dropped: number; backlog: number };
  /** Per-camera counters, as the pipelines report them. */
  cameras?: Record<string, Record<string, number>>;
}

/** Payload type of each topic. */
export interface TopicPayloads {
  availability: Availability;
  events: EventMessage;
  snapshot: Uint8Array;
  cameraState: CameraStateMessage;
  stats: StatsMessage;
}

export type TopicKey = keyof TopicPayloads;

/** The variable topic segments of each topic, in order. */
export interface TopicArgs {
  availability: [];
  events: [];
  snapshot: [eventId: string];
  cameraState: [camera: string];
  stats: [];
}

export interface TopicSpec {
  readonly qos: 0 | 1;
  readonly retain: boolean;
  /** Payload, for the README. */
  readonly payload: string;
  readonly description: string;
}

export const TOPICS: { readonly [K in TopicKey]: TopicSpec } = {
  availability: {
    qos: 1,
    retain: true,
    payload: '`online` \\| `offline` (text)',
    description: "`online` on every connect; the broker publishes the last will `offline` when the agent's connection dies",
  },
  events: {
    qos: 1,
    retain: false,
    payload: 'JSON `EventMessage`',
    description: 'one confirmed event, once per event (QoS 1: a duplicate is possible, dedupe by `id`)',
  },
  snapshot: {
    qos: 1,
    retain: false,
    payload: 'JPEG bytes',
    description: "the event's snapshot, acknowledged by the broker before the event JSON is sent; `sha256` in the event checks it",
  },
  cameraState: {
    qos: 1,
    retain: true,
    payload: 'JSON `CameraStateMessage`',
    description: 'the latest state of one camera; republished on every reconnect',
  },
  stats: {
    qos: 0,
    retain: false,
    payload: 'JSON `StatsMessage`',
    description: 'counters every `mqtt.statsIntervalS`; skipped while disconnected (the next one supersedes it)',
  },
};

export interface OutgoingMessage {
  topic: string;
  payload: string | Buffer;
  qos: 0 | 1;
  retain: boolean;
}

/** One builder per topic: a new TopicKey without a builder does not compile. */
export type TopicBuilders = { [K in TopicKey]: (...args: TopicArgs[K]) => string };

/** Topic builders for one device; method names are the TopicKeys. */
export class Topics implements TopicBuilders {
  private readonly base: string;

  constructor(prefix: string, readonly device: string) {
    if (prefix.length === 0 || /[#+\0]/.test(prefix)) throw new RangeError(`invalid MQTT topic prefix ${JSON.stringify(prefix)}`);
    this.base = `${prefix.replace(/\/+$/, '')}/${segment(device, 'device id')}`;
  }

  availability(): string {
    return `${this.base}/availability`;
  }

  events(): string {
    return `${this.base}/events`;
  }

  snapshot(eventId: string): string {
    return `${this.base}/events/${segment(eventId, 'event id')}/snapshot`;
  }

  cameraState(camera: string): string {
    return `${this.base}/cameras/${segment(camera, 'camera name')}/state`;
  }

  stats(): string {
    return `${this.base}/stats`;
  }

  /** A ready-to-publish message: topic, encoded payload, and the topic's QoS and retain flag. */
  message<K extends TopicKey>(key: K, payload: TopicPayloads[K], ...args: TopicArgs[K]): OutgoingMessage {
    const build = this[key] as (...a: string[]) => string;
    const { qos, retain } = TOPICS[key];
    return { topic: build.apply(this, args), payload: encode(payload), qos, retain };
  }
}

function encode(payload: TopicPayloads[TopicKey]): string | Buffer {
  if (typeof payload === 'string') return payload;
  if (payload instanceof Uint8Array) return Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  return JSON.stringify(payload);
}

/** One topic level from a name: MQTT wildcards or a '/' would change the topic's meaning. */
function segment(value: string, what: string): string {
  if (value.length === 0 || /[/#+\0]/.test(value)) {
    throw new RangeError(`${what} ${JSON.stringify(value)} cannot be an MQTT topic level (no '/', '+', '#', NUL)`);
  }
  return value;
}

/** The README's topic table (Markdown), generated from TOPICS and the builders. */
export function topicsTable(): string {
  const t = new Topics('<prefix>', '<device>');
  const placeholders: { [K in TopicKey]: TopicArgs[K] } = {
    availability: [],
    events: [],
    snapshot: ['<id>'],
    cameraState: ['<camera>'],
    stats: [],
  };
  const rows = (Object.keys(TOPICS) as TopicKey[]).map((key) => {
    const spec = TOPICS[key];
    const topic = (t[key] as (...a: string[]) => string).apply(t, placeholders[key]);
    return `| \`${topic}\` | ${spec.qos} | ${spec.retain ? 'yes' : 'no'} | ${spec.payload} | ${spec.description} |`;
  });
  return ['| topic | QoS | retained | payload | meaning |', '|---|---|---|---|---|', ...rows].join('\n') + '\n';
}
