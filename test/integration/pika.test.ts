// Integration tests with the real Python client: each pattern of the pika tutorials the project
// is seeded from (hello world, work queues, pub/sub, routing, topics, RPC, confirms, tx, ...) is
// ported to pika 1.2 as a small script in test/integration/pika/, and run here against a broker
// (in-process Warren, or the external broker named by WARREN_TEST_AMQP_URL, e.g. RabbitMQ).
// A script exits 0 when everything a pika program observes matches RabbitMQ; otherwise it prints
// "FAIL: <what differed>" and exits non-zero. Its output is shown in the assertion message.
//
// Needs Debian's python3-pika (1.2) for /usr/bin/python3. Without it the tests are skipped
// locally, but fail under CI (which installs it).
import { describePikaScripts } from '../helpers/pika.js';

/** Scripts use unique names, so they can share the broker; running a few at once bounds the
 * file's duration even when a broken broker makes every script wait for its timeouts. */
const CONCURRENCY = 4;

/** [script, what the test proves] - one test per tutorial pattern. */
const SCRIPTS: ReadonlyArray<readonly [string, string]> = [
  ['hello_world.py', 'hello world: queue_declare + publish via the default exchange reaches a consumer'],
  ['work_queue_ack.py', 'work queue: an unacked message of a dead consumer is redelivered (redelivered=True) to another'],
  ['fair_dispatch.py', 'dispatch: strict round robin without qos; prefetch_count=1 gives the fast consumer the rest'],
  ['fanout.py', 'fanout: every exclusive amq.gen- queue gets each message; queues vanish with their connection'],
  ['direct_routing.py', 'direct: messages go exactly to the queues bound with their severity; unbound key is returned'],
  ['topic_routing.py', 'topic: the tutorial table for *.orange.*, *.*.rabbit, lazy.# and # alone'],
  ['rpc.py', 'rpc: fib server answers to reply_to with the request correlation_id'],
  ['rpc_direct_reply_to.py', 'rpc: direct reply-to via amq.rabbitmq.reply-to'],
  ['publisher_confirms.py', 'confirms: routable publishes confirmed, mandatory unroutable raises UnroutableError'],
  ['transactions.py', 'transactions: publishes and acks take effect at tx_commit, vanish at tx_rollback'],
  ['durable.py', 'durable queue: delivery_mode=2 message comes back with delivery_mode 2'],
  ['properties.py', 'properties: all 14 basic properties, every header type and large/empty bodies round-trip'],
];

describePikaScripts('pika tutorial patterns (python3-pika 1.2)', SCRIPTS, CONCURRENCY);
