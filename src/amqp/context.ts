// What the AMQP layer needs from the broker, as an interface so amqp/ never imports broker.ts.
import type { UserStore } from '../auth/users.js';
import type { BrokerConfig } from '../config.js';
import type { Clock } from '../core/clock.js';
import type { VHost } from '../core/vhost.js';
import type { Logger } from '../log.js';
import type { MessageStore } from '../store/store.js';
import type { DirectReplyTo } from './direct-reply-to.js';

export interface BrokerContext {
  readonly config: BrokerConfig;
  readonly log: Logger;
  readonly users: UserStore;
  readonly vhosts: Map<string, VHost>;
  readonly directReplyTo: DirectReplyTo;
  readonly store: MessageStore;
  /** bumped whenever durable definitions change (a reply after a change waits for the disk) */
  readonly definitionsVersion: number;
  readonly product: string;
  /** time for TTLs, expiry, delays, consumer timeouts */
  readonly clock: Clock;
  readonly version: string;
}
