/**
 * From the `mqtt` config section to mqtt.js client options: reads the TLS and
 * password files once at start (a clear CONFIG_INVALID naming the file when
 * one is unreadable), and fixes the session semantics the outbox relies on.
 */
import { readFile } from 'node:fs/promises';
import type { IClientOptions } from 'mqtt';
import type { MqttConfig } from '../config/schema.js';
import { AgentError } from '../core/errors.js';
import { redactUrl } from '../video/redact.js';

/** MQTT 5 session expiry, seconds: the broker keeps the session through a week-long outage. */
export const DEFAULT_SESSION_EXPIRY_S = 7 * 24 * 3600;

export interface ClientSettings {
  /** The broker URL as configured (it may carry userinfo: never log it). */
  readonly url: string;
  /** The URL with any password replaced, for logs and errors. */
  readonly safeUrl: string;
  readonly options: IClientOptions;
}

export interface ClientSettingsInput {
  readonly config: MqttConfig;
  readonly clientId: string;
  /** Availability topic: the last will goes there. */
  readonly willTopic: string;
  readonly connectTimeoutMs: number;
  readonly sessionExpiryS: number;
}

/** Reads the files named in the config and builds the options for every connection attempt. */
export async function clientSettings(input: ClientSettingsInput): Promise<ClientSettings> {
  const { config } = input;
  if (config.url === undefined) {
    throw new AgentError('CONFIG_INVALID', 'mqtt.url is not set', { hint: 'set mqtt.url, e.g. mqtts://broker.example:8883' });
  }
  const [ca, cert, key, password] = await Promise.all([
    optionalFile('mqtt.ca', config.ca),
    optionalFile('mqtt.cert', config.cert),
    optionalFile('mqtt.key', config.key),
    readPassword(config),
  ]);
  const options: IClientOptions = {
    protocolVersion: config.protocolVersion,
    clientId: input.clientId,
    // Persistent session: the broker keeps our session (and, later, our
    // subscriptions) across reconnects; the outbox itself never relies on it.
    clean: false,
    keepalive: config.keepaliveS,
    // mqtt.js's fixed-period reconnect is off: the connection runs its own
    // capped backoff with jitter and a fresh client per attempt.
    reconnectPeriod: 0,
    connectTimeout: input.connectTimeoutMs,
    resubscribe: false,
    will: { topic: input.willTopic, payload: Buffer.from('offline'), qos: 1, retain: true },
    rejectUnauthorized: config.rejectUnauthorized,
  };
  if (config.protocolVersion === 5) options.properties = { sessionExpiryInterval: input.sessionExpiryS };
  if (config.username !== undefined) options.username = config.username;
  if (password !== undefined) options.password = password;
  if (ca) options.ca = ca;
  if (cert) options.cert = cert;
  if (key) options.key = key;
  return { url: config.url, safeUrl: redactUrl(config.url), options };
}

async function optionalFile(setting: string, path: string | undefined): Promise<Buffer | undefined> {
  if (path === undefined) return undefined;
  try {
    return await readFile(path);
  } catch (err) {
    throw unreadable(setting, path, err);
  }
}

/** passwordFile wins over password: the file is the recommended place. First line, trimmed. */
async function readPassword(config: MqttConfig): Promise<string | undefined> {
  if (config.passwordFile === undefined) return config.password;
  let text: string;
  try {
    text = await readFile(config.passwordFile, 'utf8');
  } catch (err) {
    throw unreadable('mqtt.passwordFile', config.passwordFile, err);
  }
  const first = (text.split(/\r?\n/, 1)[0] ?? '').trim();
  if (first.length === 0) {
    throw new AgentError('CONFIG_INVALID', `mqtt.passwordFile ${config.passwordFile} is empty`, {
      hint: 'put the password on the first line of the file',
    });
  }
  return first;
}

function unreadable(setting: string, path: string, err: unknown): AgentError {
  const code = (err as { code?: unknown } | null)?.code;
  const why = typeof code === 'string' ? code : err instanceof Error ? err.message : String(err);
  return new AgentError('CONFIG_INVALID', `cannot read ${setting} file ${path}: ${why}`, {
    hint: "check the path and that the agent's user can read it",
    cause: err,
  });
}
