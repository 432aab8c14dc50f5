/**
 * The single source of config truth: the YAML file is validated against this
 * schema once at start, types are inferred from it, and every default lives
 * here with its unit. Unknown keys are errors (a typo must not silently fall
 * back to a default).
 */
import { z } from 'zod';

const point = z.tuple([z.number(), z.number()]);
const polygon = z.array(point).min(3, 'a polygon needs at least 3 points');

export const ZoneSchema = z.strictObject({
  name: z.string().min(1),
  /** Polygon in detect-frame pixels; an object is inside when its bottom-centre is. */
  polygon,
});

/** Size and shape limits for one label category; area is a fraction of the frame. */
export const ObjectFilterSchema = z.strictObject({
  /** Smallest box area, fraction of the frame area. */
  minArea: z.number().min(0).max(1),
  /** Largest box area, fraction of the frame area (bigger is likely at the lens). */
  maxArea: z.number().min(0).max(1),
  /** Smallest height/width ratio. */
  minAspect: z.number().positive(),
  /** Largest height/width ratio. */
  maxAspect: z.number().positive(),
});

const DEFAULT_FILTERS = {
  // A standing or walking person is taller than wide; measured 1.5-4.0 on the walkway footage.
  person: { minArea: 0.0004, maxArea: 0.5, minAspect: 0.8, maxAspect: 5 },
  // Vehicles seen from the side or front: wider than tall, or square-ish head-on.
  vehicle: { minArea: 0.001, maxArea: 0.8, minAspect: 0.2, maxAspect: 2 },
};

export const DetectSchema = z.strictObject({
  /** Frame width the pipeline works at, pixels; default: the input's own, capped at 1280. */
  width: z.number().int().min(64).max(3840).optional(),
  /** Frame height, pixels; default: keeps the input's aspect ratio. */
  height: z.number().int().min(64).max(2160).optional(),
  /** Frames analysed per second, decimated by ffmpeg. */
  fps: z.number().min(0.5).max(30).default(5),
});

export const CameraSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ or -, at most 64'),
  /** File path or rtsp:// URL; `edge-agent analyze INPUT` overrides it. */
  input: z.string().min(1).optional(),
  detect: DetectSchema.prefault({}),
  /** Polygons (detect-frame pixels) where motion is ignored: a road, a tree. */
  masks: z.array(polygon).default([]),
  zones: z.array(ZoneSchema).default([]),
  /** Zones an object must enter before it can become an event; empty = anywhere. */
  requiredZones: z.array(z.string()).default([]),
  /** RTSP lower transport; TCP survives lossy Wi-Fi without smeared frames. */
  rtspTransport: z.enum(['tcp', 'udp']).default('tcp'),
  /** A live camera that delivers no frame for this long is restarted, seconds. */
  stallTimeoutS: z.number().min(1).max(600).default(10),
});

export const MotionSchema = z.strictObject({
  /** Height of the downscaled luma frame, pixels. */
  height: z.number().int().min(32).max(720).default(120),
  /** Luma difference (0-255) that counts as change. */
  threshold: z.number().int().min(1).max(255).default(30),
  /** Background adaptation per frame (0-1). */
  alpha: z.number().min(0).max(1).default(0.01),
  /** Fraction of the frame changed above which it is a light change, not motion. */
  lightChangeFraction: z.number().min(0.1).max(1).default(0.8),
  /** Smallest moving region, pixels of the downscaled frame. */
  minArea: z.number().int().min(1).default(10),
});

export const DetectorSchema = z.strictObject({
  /** Model folder (with manifest.json), relative to the project root or absolute. */
  model: z.string().default('models/centernet-coco-int8'),
  /**
   * TensorFlow.js models: `auto` = tfjs-node when it loads, else tfjs with the
   * wasm backend. ONNX models always run on onnxruntime.
   */
  runtime: z.enum(['auto', 'tfjs-node', 'tfjs-wasm']).default('auto'),
  /** onnxruntime intra-op threads; 1 leaves the other core of a small gateway to ffmpeg and motion. */
  threads: z.number().int().min(1).max(16).default(1),
  /** Detections below this score are discarded in the worker. */
  minScore: z.number().min(0).max(1).default(0.3),
  /** Frames waiting for the detector; past it the oldest is shed (counted). */
  queueLength: z.number().int().min(1).max(64).default(2),
});

export const RegionsSchema = z.strictObject({
  /** Most square crops detected per frame; more motion than that → one whole-frame pass. */
  maxRegions: z.number().int().min(1).max(16).default(3),
  /** Crop side as a multiple of the moving area's longer side (context for the model). */
  padding: z.number().min(1).max(4).default(1.5),
});

export const TrackerSchema = z.strictObject({
  /** A track not seen for this long ends, seconds (bridges short occlusions). */
  maxGapS: z.number().min(0).max(60).default(2),
  /** Smallest cost match accepted: IoU with the predicted box. */
  minIou: z.number().min(0).max(1).default(0.05),
  /** Movement below this fraction of the box size over `stationaryAfterS` = stationary. */
  stationaryMove: z.number().min(0).max(5).default(0.25),
  /** Seconds without significant movement before a track counts as stationary. */
  stationaryAfterS: z.number().min(1).max(3600).default(5),
  /** How long a stationary object is remembered after it is lost, seconds. */
  stationaryMemoryS: z.number().min(0).max(86400).default(600),
});

export const ConfirmSchema = z.strictObject({
  /** Label categories that become events, and the detector labels in each. */
  labels: z
    .record(z.string(), z.array(z.string()).min(1))
    .default({ person: ['person'], vehicle: ['car', 'truck', 'bus', 'motorcycle'] }),
  /** Labels that veto a track when they make up this share of its hits. */
  animalLabels: z.array(z.string()).default(['cat', 'dog', 'bird', 'horse', 'sheep', 'cow', 'bear', 'teddy bear']),
  animalShare: z.number().min(0).max(1).default(0.3),
  /** A single detection below this score does not count as a hit of the track. */
  minScore: z.number().min(0).max(1).default(0.35),
  /** Median of the last `scoreWindow` samples (misses count 0) must reach this. */
  medianScore: z.number().min(0).max(1).default(0.45),
  scoreWindow: z.number().int().min(1).max(100).default(10),
  minHits: z.number().int().min(1).max(100).default(3),
  /** Minimum track life from first to last hit, seconds. */
  minLifeS: z.number().min(0).max(60).default(0.6),
  /** The object must have moved at least this fraction of its box size. */
  minMove: z.number().min(0).max(10).default(0.5),
  filters: z.record(z.string(), ObjectFilterSchema).default(DEFAULT_FILTERS),
  /** Same category confirmed at the same place within this many seconds → no new event. */
  cooldownS: z.number().min(0).max(3600).default(30),
  lens: z
    .strictObject({
      /** Frame-area fraction above which a box can be a lens-proximity object. */
      minArea: z.number().min(0).max(1).default(0.02),
      /** Median |log(area ratio)| between consecutive hits above which size is jumping. */
      sizeJitter: z.number().min(0).default(0.18),
      /** Share of direction reversals (> 90°) between consecutive moves that is erratic. */
      erratic: z.number().min(0).max(1).default(0.4),
      /** Speed in box diagonals per second above which it is darting. */
      speed: z.number().min(0).default(2.5),
    })
    .prefault({}),
  /** Tracks born within this many seconds after a light change need twice the evidence. */
  lightChangeSuspectS: z.number().min(0).max(60).default(2),
});

export const SupervisorSchema = z.strictObject({
  /** First restart delay after a camera fails, seconds; doubles per failure. */
  backoffInitialS: z.number().min(0.05).max(60).default(1),
  /** Largest restart delay, seconds. */
  backoffMaxS: z.number().min(0.1).max(3600).default(30),
  /** Random spread of each delay, fraction (0.2 = ±20 %): cameras that fail together do not retry together. */
  jitter: z.number().min(0).max(1).default(0.2),
  /** A run that lasted this long resets the backoff, seconds. */
  healthyAfterS: z.number().min(1).max(3600).default(30),
});

export const MqttSchema = z.strictObject({
  /** mqtt://, mqtts://, ws:// or wss:// URL of the broker; absent = local only (no cloud). */
  url: z.string().regex(/^(mqtts?|wss?):\/\/.+/, 'an mqtt://, mqtts://, ws:// or wss:// URL').optional(),
  /** 5 = MQTT 5 (default), 4 = MQTT 3.1.1. */
  protocolVersion: z.union([z.literal(5), z.literal(4)]).default(5),
  /** Default: edge-agent-<device id>. */
  clientId: z.string().min(1).max(128).optional(),
  username: z.string().optional(),
  /** Prefer passwordFile: a secret in the config file is easy to leak. */
  password: z.string().optional(),
  /** File holding the password (first line); read at start. */
  passwordFile: z.string().optional(),
  /** PEM files for TLS: the broker's CA, and a client certificate + key for mutual TLS. */
  ca: z.string().optional(),
  cert: z.string().optional(),
  key: z.string().optional(),
  /** Refuse brokers whose certificate does not verify; false only for lab setups. */
  rejectUnauthorized: z.boolean().default(true),
  /** Topics start with `<topicPrefix>/<device id>/`. */
  topicPrefix: z.string().regex(/^[^#+]+$/, 'no MQTT wildcards').default('edge-agent'),
  keepaliveS: z.number().int().min(5).max(3600).default(30),
  /** Reconnect delay after a failure, seconds: doubles up to reconnectMaxS, with jitter. */
  reconnectInitialS: z.number().min(0.1).max(600).default(1),
  reconnectMaxS: z.number().min(0.1).max(3600).default(60),
  reconnectJitter: z.number().min(0).max(1).default(0.3),
  /** Interval of the stats message, seconds. */
  statsIntervalS: z.number().min(1).max(86400).default(60),
  /** Also publish each event's snapshot JPEG on its own topic. */
  snapshots: z.boolean().default(true),
});

export const OutboxSchema = z.strictObject({
  /** Most undelivered events kept while the broker is away; past it the oldest are dropped (counted, logged). */
  maxEvents: z.number().int().min(1).max(10_000_000).default(10_000),
  /** Events published per second while draining a backlog (the broker and uplink are shared). */
  drainPerSecond: z.number().min(0.1).max(10_000).default(20),
  /** Publishes awaiting PUBACK at once. */
  inflight: z.number().int().min(1).max(1000).default(10),
});

export const StorageSchema = z.strictObject({
  /** SQLite database of events. */
  db: z.string().default('.cache/edge-agent/events.db'),
  /** Folder for snapshot JPEGs. */
  snapshots: z.string().default('.cache/edge-agent/snapshots'),
});

export const DeviceSchema = z.strictObject({
  /** Identifies this gateway in topics and events; default: the host name. */
  id: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, _ . or -, at most 64').optional(),
});

export const ConfigSchema = z.strictObject({
  device: DeviceSchema.prefault({}),
  cameras: z.array(CameraSchema).min(1).default([{ name: 'default', detect: { fps: 5 }, masks: [], zones: [], requiredZones: [], rtspTransport: 'tcp', stallTimeoutS: 10 }]),
  motion: MotionSchema.prefault({}),
  detector: DetectorSchema.prefault({}),
  regions: RegionsSchema.prefault({}),
  tracker: TrackerSchema.prefault({}),
  confirm: ConfirmSchema.prefault({}),
  storage: StorageSchema.prefault({}),
  supervisor: SupervisorSchema.prefault({}),
  mqtt: MqttSchema.prefault({}),
  outbox: OutboxSchema.prefault({}),
});

export type Config = z.infer<typeof ConfigSchema>;
export type CameraConfig = z.infer<typeof CameraSchema>;
export type ConfirmConfig = z.infer<typeof ConfirmSchema>;
export type TrackerConfig = z.infer<typeof TrackerSchema>;
export type RegionsConfig = z.infer<typeof RegionsSchema>;
export type DetectorConfig = z.infer<typeof DetectorSchema>;
export type MotionConfig = z.infer<typeof MotionSchema>;
export type ObjectFilter = z.infer<typeof ObjectFilterSchema>;
export type Zone = z.infer<typeof ZoneSchema>;
export type MqttConfig = z.infer<typeof MqttSchema>;
export type OutboxConfig = z.infer<typeof OutboxSchema>;
export type SupervisorConfig = z.infer<typeof SupervisorSchema>;
