"""Pattern 5 - routing by severity with a direct exchange (emit_log_direct.py /
receive_logs_direct.py, and the key_cus1.py / key_cus2.py variant with named exclusive queues).

  Q-all   (named exclusive queue, like 'cus1')  bound with info, warning, error
  Q-error (server-named exclusive queue)         bound with error
The producer publishes debug (bound nowhere), then info, warning, error. Proves:
  * one queue can carry several binding keys and receives each matching message once;
  * one key ('error') bound on two queues delivers a copy to each ("degrades to fanout");
  * a key nobody bound goes nowhere: with confirms + mandatory it comes back as
    basic.return 312 NO_ROUTE (pika raises UnroutableError) and no queue ever sees it;
  * deliveries carry the publishing exchange and routing key, in publish order.
Because 'debug' is published first and queues are FIFO, a wrongly routed copy would show up
before the 'error' message each consumer stops at.
"""
import pika.exceptions

import common
from common import check, check_eq

ALL = ['info', 'warning', 'error']


def receive_logs_direct(name, exchange, severities, queue_name=''):
    def setup(ch):
        ch.exchange_declare(exchange=exchange, exchange_type='direct')
        queue = ch.queue_declare(queue_name, exclusive=True).method.queue
        for severity in severities:
            ch.queue_bind(exchange=exchange, queue=queue, routing_key=severity)
        return queue

    def on_message(consumer, ch, method, props, body):
        if method.routing_key == 'error':  # the last message published
            ch.stop_consuming()
    return common.ConsumerThread(name, setup, on_message, auto_ack=True).start_ready()


def scenario(cleanup):
    exchange = cleanup.exchange(common.unique('direct_logs'))
    q_all = receive_logs_direct('cus1', exchange, ALL, queue_name=common.unique('cus1'))
    q_err = receive_logs_direct('cus2', exchange, ['error'])
    check(q_all.queue.startswith('cus1-'), 'named exclusive queue got name %r' % q_all.queue)

    conn = common.connect()
    ch = conn.channel()
    ch.exchange_declare(exchange=exchange, exchange_type='direct')
    ch.confirm_delivery()
    try:
        ch.basic_publish(exchange=exchange, routing_key='debug', body=b'debug: nobody listens', mandatory=True)
        raise common.CheckFailed("message with unbound key 'debug' was routed somewhere (no basic.return)")
    except pika.exceptions.UnroutableError as e:
        returned = e.messages[0]
        check_eq((returned.method.reply_code, returned.method.reply_text, returned.method.exchange,
                  returned.method.routing_key, returned.body),
                 (312, 'NO_ROUTE', exchange, 'debug', b'debug: nobody listens'), 'basic.return for unbound key')
    for severity in ALL:
        ch.basic_publish(exchange=exchange, routing_key=severity, body=('%s: Hello World!' % severity).encode())

    for consumer, keys in ((q_all, ALL), (q_err, ['error'])):
        consumer.join_checked()  # stops by itself at the 'error' message
        check(not consumer.timed_out, '%s: never received the error message' % consumer.name)
        check_eq([m.routing_key for m, _p, _b in consumer.received], keys, '%s: routing keys received' % consumer.name)
        check_eq(consumer.bodies(), [('%s: Hello World!' % k).encode() for k in keys], '%s: bodies' % consumer.name)
        check(all(m.exchange == exchange for m, _p, _b in consumer.received), '%s: wrong deliver.exchange' % consumer.name)
    conn.close()
    return '%s got %s; %s got [error]; debug returned NO_ROUTE' % (q_all.queue, ALL, q_err.queue)


if __name__ == '__main__':
    common.main(scenario)
