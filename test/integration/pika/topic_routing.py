"""Pattern 6 - topic exchange with the tutorial's binding table (emit_log_topic.py /
receive_logs_topic.py).

  Q1 bound '*.orange.*'            Q2 bound '*.*.rabbit' and 'lazy.#'
'*' matches exactly one word, '#' zero or more words. Phase 1 publishes every routing key of
the table (with confirms + mandatory) and checks, per key, which queues got it:
  quick.orange.rabbit -> Q1,Q2   lazy.orange.elephant -> Q1,Q2   quick.orange.fox -> Q1
  lazy.brown.fox -> Q2           lazy.pink.rabbit -> Q2 once (matches both Q2 bindings)
  lazy.orange.male.rabbit -> Q2  lazy -> Q2 ('#' matches zero words)
  quick.brown.fox, orange, quick.orange.male.rabbit -> nowhere (basic.return 312 NO_ROUTE)
Each consumer stops at a final 'lazy.orange.end' message (routed to both); since queues are
FIFO, a wrong or duplicated delivery would appear before it.
Phase 2 binds a queue with '#' alone: it receives every key, including the ones that matched
nothing and the empty routing key, and no publish is returned.
"""
import pika.exceptions

import common
from common import check, check_eq

# routing key -> queues that must receive it (exactly once each)
TABLE = [
    ('quick.orange.rabbit', {'Q1', 'Q2'}),
    ('quick.brown.fox', set()),
    ('lazy.orange.elephant', {'Q1', 'Q2'}),
    ('quick.orange.fox', {'Q1'}),
    ('orange', set()),
    ('lazy.brown.fox', {'Q2'}),
    ('lazy.pink.rabbit', {'Q2'}),
    ('quick.orange.male.rabbit', set()),
    ('lazy.orange.male.rabbit', {'Q2'}),
    ('lazy', {'Q2'}),
]
END = 'lazy.orange.end'  # matches '*.orange.*' and 'lazy.#' (and '#')


def receive_logs_topic(name, exchange, binding_keys):
    def setup(ch):
        ch.exchange_declare(exchange=exchange, exchange_type='topic')
        queue = ch.queue_declare('', exclusive=True).method.queue
        for key in binding_keys:
            ch.queue_bind(exchange=exchange, queue=queue, routing_key=key)
        return queue

    def on_message(consumer, ch, method, props, body):
        if method.routing_key == END:
            ch.stop_consuming()
    return common.ConsumerThread(name, setup, on_message, auto_ack=True).start_ready()


def publish_all(ch, exchange, keys):
    """Publish one message per key with mandatory=True; return the keys that came back unroutable."""
    unroutable = []
    for key in keys:
        try:
            ch.basic_publish(exchange=exchange, routing_key=key, body=('msg for %s' % key).encode(), mandatory=True)
        except pika.exceptions.UnroutableError as e:
            check_eq((e.messages[0].method.reply_code, e.messages[0].method.reply_text, e.messages[0].method.routing_key),
                     (312, 'NO_ROUTE', key), 'basic.return for %r' % key)
            unroutable.append(key)
    return unroutable


def check_received(consumer, expected_keys):
    consumer.join_checked()
    check(not consumer.timed_out, '%s: never got the final %r message; got %r'
          % (consumer.name, END, [m.routing_key for m, _p, _b in consumer.received]))
    check_eq([m.routing_key for m, _p, _b in consumer.received], expected_keys, '%s: routing keys received, in order' % consumer.name)
    check_eq(consumer.bodies(), [('msg for %s' % k).encode() for k in expected_keys], '%s: bodies' % consumer.name)


def scenario(cleanup):
    exchange = cleanup.exchange(common.unique('topic_logs'))
    conn = common.connect()
    ch = conn.channel()
    ch.exchange_declare(exchange=exchange, exchange_type='topic')
    ch.confirm_delivery()
    keys = [k for k, _qs in TABLE]

    # Phase 1: the tutorial's two queues.
    q1 = receive_logs_topic('Q1', exchange, ['*.orange.*'])
    q2 = receive_logs_topic('Q2', exchange, ['*.*.rabbit', 'lazy.#'])
    unroutable = publish_all(ch, exchange, keys + [END])
    check_eq(unroutable, [k for k, qs in TABLE if not qs], 'keys returned as unroutable')
    for consumer in (q1, q2):
        check_received(consumer, [k for k, qs in TABLE if consumer.name in qs] + [END])

    # Phase 2: '#' alone matches everything (Q1/Q2 are gone with their connections).
    q3 = receive_logs_topic('Q3-hash', exchange, ['#'])
    everything = keys + ['', 'a.b.c.d.e'] + [END]
    check_eq(publish_all(ch, exchange, everything), [], "keys returned as unroutable with '#' bound")
    check_received(q3, everything)
    conn.close()
    return 'topic table routed as in the tutorial; "#" matched all %d keys' % len(everything)


if __name__ == '__main__':
    common.main(scenario)
