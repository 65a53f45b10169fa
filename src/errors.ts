// The one error model. Code anywhere throws an AmqpError built by the helpers below; exactly one
// catch per connection (amqp/connection.ts) turns it into channel.close or connection.close with
// RabbitMQ's reply text form "NOT_FOUND - no queue 'x' in vhost '/'" and the failing method's ids.
// Ordinary outcomes (unroutable, queue full, backpressure) are values, never throws.
import { HARD_ERRORS, REPLY_NAMES } from './protocol/generated/constants.js';

export class AmqpError extends Error {
  /** Filled in by the catch point from the method being processed when not known at the throw. */
  classId: number;
  methodId: number;

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
