/**
 * Coded operational errors: what went wrong, where, and what to do about it.
 * The CLI prints `message` (one line) and exits non-zero; programmer errors
 * (anything that is not an AgentError) crash loudly with a stack.
 */
export type ErrorCode =
  | 'INPUT_NOT_FOUND'
  | 'INPUT_NOT_VIDEO'
  | 'INPUT_UNREACHABLE'
  | 'FFMPEG_MISSING'
  | 'FFMPEG_FAILED'
  | 'CONFIG_NOT_FOUND'
  | 'CONFIG_INVALID'
  | 'MODEL_NOT_FOUND'
  | 'MODEL_MANIFEST_INVALID'
  | 'MODEL_CHECKSUM_MISMATCH'
  | 'MODEL_LOAD_FAILED'
  | 'DETECTOR_FAILED'
  | 'DETECTOR_BUSY'
  | 'STORE_FAILED'
  /** No connection to the broker, no CONNACK in time, or the connection was lost. */
  | 'BROKER_UNREACHABLE'
  /** The broker refused CONNACK (bad credentials, not authorised, ...). */
  | 'BROKER_REFUSED'
  /** The TLS handshake failed: unknown CA, wrong host name, expired certificate. */
  | 'BROKER_TLS_FAILED'
  /** The broker answered PUBACK with a reason code >= 0x80 (MQTT 5). */
  | 'PUBLISH_REJECTED'
  /** Not connected, the connection dropped before PUBACK, or no PUBACK in time. */
  | 'PUBLISH_FAILED';

export class AgentError extends Error {
  readonly code: ErrorCode;
  /** What the user can do about it; printed after the message. */
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AgentError';
    this.code = code;
    this.hint = options.hint;
  }

  /** The one line the CLI prints: `error CODE: message (hint)`. */
  oneLine(): string {
    return `error ${this.code}: ${this.message}${this.hint ? ` (${this.hint})` : ''}`;
  }
}

export function isAgentError(e: unknown): e is AgentError {
  return e instanceof AgentError;
}
