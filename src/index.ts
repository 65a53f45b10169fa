// The library entry point: `import { Broker } from 'warren'`.
export { Broker } from './broker.js';
export type { BrokerOptions } from './config.js';
export { ManualClock, systemClock, type Clock } from './core/clock.js';
