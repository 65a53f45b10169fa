"""Pattern 1 - "hello world" (send.py / receive.py of every tutorial).

The producer declares a queue, publishes through the default exchange ('') with the queue name
as routing key and closes; the consumer declares the same queue, consumes with auto_ack and
gets the body. Proves:
  * queue.declare is idempotent across two programs (declare-ok with the same name);
  * the default exchange routes by queue name, for a message published before the consumer
    starts (it waits in the queue) and one published while the consumer is waiting;
  * queue names and bodies that are UTF-8 (the tutorial's '水续传' queue) come through intact;
  * the delivery says exchange '' and routing_key == queue name, redelivered False.
"""
import common
from common import check_eq


def produce(queue, body):
    """send.py: declare, publish via the default exchange, close."""
    conn = common.connect()
    ch = conn.channel()
    ok = ch.queue_declare(queue=queue)
    check_eq(ok.method.queue, queue, 'declare-ok queue name')
    ch.basic_publish(exchange='', routing_key=queue, body=body)
    conn.close()


def declare(queue):
    # receive.py also declares the queue: "we may not know which program starts first"
    return lambda ch: ch.queue_declare(queue=queue).method.queue


def check_delivery(consumer, queue, body):
    check_eq(consumer.wait_count(1), 1, '%s: deliveries' % queue)
    method, _props, got = consumer.received[0]
    check_eq(got, body, '%s: body' % queue)
    check_eq(method.exchange, '', '%s: deliver.exchange' % queue)
    check_eq(method.routing_key, queue, '%s: deliver.routing_key' % queue)
    check_eq(method.redelivered, False, '%s: deliver.redelivered' % queue)


def scenario(cleanup):
    # 1. Producer first: the message waits in the queue until the consumer arrives.
    q1 = cleanup.queue(common.unique('hello'))
    produce(q1, b'Hello World!')
    consumer = common.ConsumerThread('receive', declare(q1), auto_ack=True).start_ready()
    check_delivery(consumer, q1, b'Hello World!')
    consumer.stop()
    consumer.join_checked()

    # 2. Consumer first (start_consuming blocks until a message comes), UTF-8 queue name/body.
    q2 = cleanup.queue(common.unique('水续传'))
    body = '大郎 起来喝药了'.encode('utf-8')
    consumer = common.ConsumerThread('receive-utf8', declare(q2), auto_ack=True).start_ready()
    produce(q2, body)
    check_delivery(consumer, q2, body)
    consumer.stop()
    consumer.join_checked()

    # auto_ack consumption leaves nothing behind.
    conn = common.connect()
    for q in (q1, q2):
        check_eq(common.queue_counts(conn, q), (0, 0), '%s: (message_count, consumer_count) at the end' % q)
    conn.close()
    return 'hello world delivered via default exchange (ascii and utf-8 queue names)'


if __name__ == '__main__':
    common.main(scenario)
