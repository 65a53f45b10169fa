"""Pattern 4 - publish/subscribe with a fanout exchange (emit_log.py / receive_logs.py).

Each subscriber declares the 'logs' fanout exchange, a server-named exclusive queue
(queue_declare('', exclusive=True)) and binds it; the publisher's messages reach every
subscriber. Proves:
  * server-generated queue names start with 'amq.gen-' and differ per subscriber;
  * fanout ignores the routing key (messages with '' and with an arbitrary key both arrive);
  * a fanout message reaches every bound queue, in publish order, with deliver.exchange set;
  * while its owner is connected, an exclusive queue is locked for other connections
    (passive declare -> channel closed 405 RESOURCE_LOCKED);
  * once the subscribers close their connections the exclusive queues are gone
    (passive declare from another connection -> ChannelClosedByBroker 404 NOT_FOUND);
  * with no queue bound any more, a mandatory publish to the exchange is returned (unroutable).
"""
import pika
import pika.exceptions

import common
from common import check, check_eq

MESSAGES = [(b'info: Hello World!', ''), (b'warning: routing key is ignored', 'any.key'), (b'error: third', '')]


def subscriber(name, exchange):
    def setup(ch):
        ch.exchange_declare(exchange=exchange, exchange_type='fanout')
        result = ch.queue_declare('', exclusive=True)  # server-named, deleted with the connection
        queue = result.method.queue
        ch.queue_bind(exchange=exchange, queue=queue)
        return queue
    return common.ConsumerThread(name, setup, auto_ack=True).start_ready()


def scenario(cleanup):
    exchange = cleanup.exchange(common.unique('logs'))
    subs = [subscriber('sub-%d' % i, exchange) for i in (1, 2)]
    names = [s.queue for s in subs]
    for q in names:
        check(q.startswith('amq.gen-'), 'server-named queue %r does not start with amq.gen-' % q)
    check(names[0] != names[1], 'both subscribers got the same server-named queue %r' % names[0])

    # emit_log.py: a separate program that declares the exchange too, then publishes.
    pub_conn = common.connect()
    pub = pub_conn.channel()
    pub.exchange_declare(exchange=exchange, exchange_type='fanout')
    for body, key in MESSAGES:
        pub.basic_publish(exchange=exchange, routing_key=key, body=body)

    for s in subs:
        check_eq(s.wait_count(len(MESSAGES)), len(MESSAGES), '%s: deliveries' % s.name)
        check_eq(s.bodies(), [b for b, _k in MESSAGES], '%s: bodies in publish order' % s.name)
        check_eq([(m.exchange, m.routing_key) for m, _p, _b in s.received],
                 [(exchange, k) for _b, k in MESSAGES], '%s: deliver (exchange, routing_key)' % s.name)

    # Another connection may not touch a live exclusive queue.
    text = common.expect_channel_error(lambda: pub_conn.channel().queue_declare(names[0], passive=True), 405,
                                       'passive declare of another connection\'s exclusive queue')
    check(text.startswith('RESOURCE_LOCKED'), 'unexpected reply text %r' % text)

    # Subscribers exit (connection.close) -> their exclusive queues are deleted.
    for s in subs:
        s.stop()
        s.join_checked()
    for q in names:
        text = common.expect_channel_error(lambda: pub_conn.channel().queue_declare(q, passive=True), 404,
                                           'passive declare of %s after its owner closed' % q)
        check_eq(text, "NOT_FOUND - no queue '%s' in vhost '/'" % q, '404 reply text')

    # Nobody is bound any more: the exchange still exists but routes nowhere.
    ch = pub_conn.channel()
    ch.exchange_declare(exchange=exchange, passive=True)
    ch.confirm_delivery()
    try:
        ch.basic_publish(exchange=exchange, routing_key='', body=b'lost', mandatory=True)
        raise common.CheckFailed('publish to a fanout exchange without bindings was not returned')
    except pika.exceptions.UnroutableError as e:
        check_eq(e.messages[0].method.reply_code, 312, 'basic.return reply-code')
    pub_conn.close()
    return 'fanout delivered %d messages to %s and %s; exclusive queues gone after close' % (len(MESSAGES), names[0], names[1])


if __name__ == '__main__':
    common.main(scenario)
