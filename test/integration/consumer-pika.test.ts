// Consumer priorities, single active consumer and the alternate exchange through the Python
// client: test/integration/pika/consumer_features.py run with Debian's python3-pika against an
// in-process Warren (or the broker named by WARREN_TEST_AMQP_URL).
import { describePikaScripts } from '../helpers/pika.js';

describePikaScripts('consumer features with pika', [
  ['consumer_features.py', 'x-priority, x-single-active-consumer and alternate-exchange'],
]);
