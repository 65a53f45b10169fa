// The one error model. Code anywhere throws an AmqpError built by the helpers below; exactly one
// catch per connection (amqp/connection.ts) turns it into channel.close or connection.close with
// RabbitMQ's reply text form "NOT_FOUND - no queue 'x' in vhost '/'" and the failing method's ids.
// Ordinary outcomes (unroutable, queue full, backpressure) are values, never throws.
import { HARD_ERRORS, REPLY_NAMES } from './protocol/generated/constants.js';

export class AmqpError extends Error {
  /** Filled in by the catch point from the method being processed unless fixed with at(). */
  classId: number;
  methodId: number;
  idsFixed = false;

  constructor(
    readonly code: number,
    readonly detail: string,
    classId = 0,
    methodId = 0,
  ) {
    super(`${REPLY_NAMES[code] ?? 'ERROR'} - ${detail}`);
    this.classId = classId;
    this.methodId = methodId;
  }

  /** Fixes the class and method ids the close will report (RabbitMQ reports 0.0 for framing errors). */
  at(classId: number, methodId: number): this {
    this.classId = classId;
    this.methodId = methodId;
    this.idsFixed = true;
    return this;
  }

  /** True when the code closes the whole connection rather than one channel. */
  get hard(): boolean {
    return HARD_ERRORS.has(this.code);
  }

  /** The reply text as sent on the wire, cut to a shortstr's 255 bytes. */
  get replyText(): string {
    const t = this.message;
    return Buffer.byteLength(t) <= 255 ? t : Buffer.from(t).subarray(0, 255).toString('utf8');
  }
}

// Channel errors (close only the channel)
export const accessRefused = (d: string): AmqpError => new AmqpError(403, d);
export const notFound = (d: string): AmqpError => new AmqpError(404, d);
export const resourceLocked = (d: string): AmqpError => new AmqpError(405, d);
export const preconditionFailed = (d: string): AmqpError => new AmqpError(406, d);
// Connection errors (close the connection)
export const connectionForced = (d: string): AmqpError => new AmqpError(320, d);
export const frameError = (d: string): AmqpError => new AmqpError(501, d);
export const syntaxError = (d: string): AmqpError => new AmqpError(502, d);
export const commandInvalid = (d: string): AmqpError => new AmqpError(503, d);
export const channelError = (d: string): AmqpError => new AmqpError(504, d);
export const unexpectedFrame = (d: string): AmqpError => new AmqpError(505, d);
export const resourceError = (d: string): AmqpError => new AmqpError(506, d);
export const notAllowed = (d: string): AmqpError => new AmqpError(530, d);
export const notImplemented = (d: string): AmqpError => new AmqpError(540, d);
export const internalError = (d: string): AmqpError => new AmqpError(541, d);

/** RabbitMQ's way of naming a resource in error texts: "queue 'q' in vhost '/'". */
export const rname = (kind: 'queue' | 'exchange', name: string, vhost: string): string =>
  `${kind} '${name}' in vhost '${vhost}'`;

/**
 * Erlang's ~p rendering of a binary, which RabbitMQ puts in framing error texts:
 * <<"text">> when every byte is printable Latin-1, otherwise <<1,2,3>>.
 */
export function erlangBinary(b: Buffer): string {
  if (b.length === 0) return '<<>>';
  const printable = b.every((c) => (c >= 32 && c <= 126) || c >= 160 || (c >= 8 && c <= 13) || c === 27);
  if (!printable) return `<<${[...b].join(',')}>>`;
  const esc: Record<number, string> = { 8: '\\b', 9: '\\t', 10: '\\n', 11: '\\v', 12: '\\f', 13: '\\r', 27: '\\e', 34: '\\"', 92: '\\\\' };
  return `<<"${[...b].map((c) => esc[c] ?? String.fromCharCode(c)).join('')}">>`;
}

/** "type 5, all octets = <<...>>" (or "first 16 octets" for longer payloads), as RabbitMQ words it. */
export function frameDescription(type: number, payload: Buffer): string {
  return payload.length > 16
    ? `type ${type}, first 16 octets = ${erlangBinary(payload.subarray(0, 16))}`
    : `type ${type}, all octets = ${erlangBinary(payload)}`;
}
