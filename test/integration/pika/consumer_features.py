"""Consumer priorities, single active consumer and an alternate exchange, as a pika program sees them.

1. x-priority: three consumers on one queue (priority 10, the default 0, and -5); every message
   goes to the priority-10 one while it can take them.
2. x-single-active-consumer: of two consumers, the first registered gets everything; after it
   cancels, the second gets what follows.
3. alternate-exchange: a mandatory publish to an exchange whose bindings do not match is not
   returned (no UnroutableError under confirms) and lands in the alternate exchange's queue.

Everything runs on one BlockingConnection; callbacks fire while process_data_events() runs,
and every wait is bounded.
"""
import time

import pika.exceptions

import common
from common import check, check_eq

N = 6


def pump(conn, predicate, what, timeout=common.WAIT):
    """Process events until predicate() holds; fail after timeout seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        remaining = deadline - time.monotonic()
        check(remaining > 0, 'timed out waiting for %s' % what)
        conn.process_data_events(time_limit=min(0.05, remaining))


def consumer(conn, queue, received, name, arguments=None):
    ch = conn.channel()

    def on_message(_ch, _method, _props, body):
        received.append((name, body.decode()))

    tag = ch.basic_consume(queue, on_message, auto_ack=True, arguments=arguments)
    return ch, tag


def priorities(cleanup, conn, pub):
    queue = cleanup.queue(common.unique('prio_consumers'))
    pub.queue_declare(queue=queue, auto_delete=False)
    received = []
    consumer(conn, queue, received, 'default')
    consumer(conn, queue, received, 'high', {'x-priority': 10})
    consumer(conn, queue, received, 'negative', {'x-priority': -5})
    for i in range(N):
        pub.basic_publish('', queue, ('p%d' % i).encode())
    pump(conn, lambda: len(received) >= N, '%d deliveries (got %r)' % (N, received))
    conn.process_data_events(time_limit=0.2)  # anything more would arrive now
    check_eq([who for who, _ in received], ['high'] * N, 'x-priority: who received each message')


def single_active(cleanup, conn, pub):
    queue = cleanup.queue(common.unique('sac'))
    pub.queue_declare(queue=queue, arguments={'x-single-active-consumer': True})
    received = []
    ch_first, tag_first = consumer(conn, queue, received, 'first')
    consumer(conn, queue, received, 'second', {'x-priority': 5})
    for i in range(3):
        pub.basic_publish('', queue, ('s%d' % i).encode())
    pump(conn, lambda: len(received) >= 3, '3 deliveries')
    check_eq(received, [('first', 's0'), ('first', 's1'), ('first', 's2')], 'SAC: the first consumer gets all')
    ch_first.basic_cancel(tag_first)
    for i in range(3, 5):
        pub.basic_publish('', queue, ('s%d' % i).encode())
    pump(conn, lambda: len(received) >= 5, '5 deliveries')
    check_eq(received[3:], [('second', 's3'), ('second', 's4')], 'SAC: the second takes over after the cancel')


def alternate_exchange(cleanup, conn):
    ch = conn.channel()
    ch.confirm_delivery()
    ae = cleanup.exchange(common.unique('unrouted'))
    main = cleanup.exchange(common.unique('orders'))
    ae_queue = cleanup.queue(common.unique('unrouted_q'))
    ch.exchange_declare(ae, 'fanout')
    ch.queue_declare(ae_queue)
    ch.queue_bind(ae_queue, ae)
    ch.exchange_declare(main, 'direct', arguments={'alternate-exchange': ae})
    try:
        ch.basic_publish(main, 'no-such-key', b'lost-and-found', mandatory=True)
    except pika.exceptions.UnroutableError:
        check(False, 'AE: a message the alternate exchange routed must not be returned')
    method, _props, body = ch.basic_get(ae_queue, auto_ack=True)
    check(method is not None, 'AE: the alternate exchange queue is empty')
    check_eq(body, b'lost-and-found', 'AE: body in the alternate queue')
    ch.close()


def scenario(cleanup):
    conn = common.connect()
    try:
        pub = conn.channel()
        priorities(cleanup, conn, pub)
        single_active(cleanup, conn, pub)
        alternate_exchange(cleanup, conn)
    finally:
        conn.close()
    return 'x-priority, single active consumer and alternate-exchange behave as in RabbitMQ'


if __name__ == '__main__':
    common.main(scenario)
