/** Coded MQTT failures: AgentErrors (codes in src/core/errors.ts) that also carry the MQTT reason code. */
import { ReasonCodes } from 'mqtt';
import { AgentError, type ErrorCode } from '../core/errors.js';
import { redactUrl } from '../video/redact.js';

export type MqttErrorCode = Extract<ErrorCode, 'BROKER_UNREACHABLE' | 'BROKER_REFUSED' | 'BROKER_TLS_FAILED' | 'PUBLISH_REJECTED' | 'PUBLISH_FAILED'>;

/** An AgentError from the MQTT side, with the broker's reason code when it gave one. */
export class MqttError extends AgentError {
  declare readonly code: MqttErrorCode;
  /** MQTT reason code (CONNACK or PUBACK) when the broker gave one. */
  readonly reasonCode: number | undefined;

  constructor(code: MqttErrorCode, message: string, options: { hint?: string; reasonCode?: number; cause?: unknown } = {}) {
    super(code, message, options);
    this.name = 'MqttError';
    this.reasonCode = options.reasonCode;
  }
}

export function isMqttError(e: unknown, code?: MqttErrorCode): e is MqttError {
  return e instanceof MqttError && (code === undefined || e.code === code);
}

/** MQTT 5 reason codes an operator is likely to meet, with what to do. */
const REASON_HINTS: Record<number, string> = {
  0x84: 'the broker does not speak this protocol version; try mqtt.protocolVersion 4',
  0x85: 'the broker rejected the client id; set mqtt.clientId',
  0x86: 'check mqtt.username and the password (mqtt.passwordFile)',
  0x87: "the broker's ACL does not allow this client; check its user and topic permissions",
  0x88: 'the broker is unavailable; it may be starting or overloaded',
  0x89: 'the broker is busy; the agent retries with backoff',
  0x8a: 'the broker banned this client',
  0x8c: 'check mqtt.username and the password (mqtt.passwordFile)',
  0x90: 'the topic name is invalid for this broker; check mqtt.topicPrefix',
  0x95: "the message exceeds the broker's size limit; turn off mqtt.snapshots or raise the limit",
  0x97: "the broker's quota for this client is exceeded",
};

/** MQTT 3.1.1 CONNACK return codes 1-5 (MQTT 5 uses 0x80 and above). */
const V4_HINTS: Record<number, string> = {
  1: 'the broker does not speak MQTT 3.1.1',
  2: 'the broker rejected the client id; set mqtt.clientId',
  4: 'check mqtt.username and the password (mqtt.passwordFile)',
  5: "the broker's ACL does not allow this client",
};

/** `Not authorized (0x87)`: mqtt.js's name for the code (it covers 3.1.1's 1-5 too) and the code in hex. */
export function reasonText(code: number): string {
  const names: Record<number, string | undefined> = ReasonCodes;
  return `${names[code] ?? 'unknown reason'} (0x${code.toString(16).padStart(2, '0')})`;
}

/** Where a reason code came from: 0x87 on CONNACK is about credentials, on PUBACK about the ACL. */
export type ReasonContext = 'connack' | 'puback' | 'disconnect';

const CREDENTIALS_HINT = "check mqtt.username and the password (mqtt.passwordFile); mosquitto answers a wrong password with 'not authorized'";

export function reasonHint(code: number, context: ReasonContext): string | undefined {
  if (context === 'connack' && (code === 0x87 || code === 5)) return CREDENTIALS_HINT;
  return code < 0x80 ? V4_HINTS[code] : REASON_HINTS[code];
}

/** Node and OpenSSL error codes that mean the TLS handshake, not the network, failed. */
const TLS_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_SIGNATURE_FAILURE',
]);

export function isTlsFailure(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (TLS_CODES.has(code) || code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_'));
}

/** A failed connection attempt or connection, as the connection state shows it. */
export interface ConnectionError {
  readonly code: MqttErrorCode;
  readonly message: string;
  /** CONNACK or DISCONNECT reason code, when the broker gave one. */
  readonly reasonCode?: number;
  readonly hint?: string;
  /** ISO time. */
  readonly at: string;
}

/** The coded reason of a failed attempt, from what mqtt.js or Node emitted. */
export function connectionError(err: Error): ConnectionError {
  const at = new Date().toISOString();
  const reasonCode = (err as { code?: unknown }).code;
  if (typeof reasonCode === 'number' && err.message.startsWith('Connection refused')) {
    const hint = reasonHint(reasonCode, 'connack');
    return { code: 'BROKER_REFUSED', message: `the broker refused the connection: ${reasonText(reasonCode)}`, reasonCode, ...(hint ? { hint } : {}), at };
  }
  if (isTlsFailure(err)) {
    return {
      code: 'BROKER_TLS_FAILED',
      message: `TLS handshake with the broker failed: ${redactUrl(err.message)}`,
      hint: "set mqtt.ca to the broker's CA certificate (PEM); check the broker's host name and certificate dates",
      at,
    };
  }
  return { code: 'BROKER_UNREACHABLE', message: `cannot reach the broker: ${redactUrl(err.message)}`, hint: 'check mqtt.url, the network and that the broker runs', at };
}

export function publishError(topic: string, err: Error): MqttError {
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'number' && code >= 0x80) {
    const hint = reasonHint(code, 'puback');
    return new MqttError('PUBLISH_REJECTED', `the broker rejected the message on ${topic}: ${reasonText(code)}`, { reasonCode: code, ...(hint ? { hint } : {}), cause: err });
  }
  return new MqttError('PUBLISH_FAILED', `publish on ${topic} failed: ${redactUrl(err.message)}`, { cause: err });
}

export function errText(err: unknown): string {
  return redactUrl(err instanceof Error ? err.message : String(err));
}

