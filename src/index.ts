// The library entry point: `import { Broker } from 'warren'`.
export { Broker } from './broker.js';
export type { BrokerOptions } from './config.js';
