"""Pattern 11 - durable queue + persistent messages (Persist_pro.py / Persist_cus.py).

The producer declares queue_declare(queue, durable=True) and publishes with
pika.BasicProperties(delivery_mode=2); the consumer declares the same durable queue, consumes
with manual ack and acks. (Surviving a broker restart is tested elsewhere.) Proves:
  * the durable declare is accepted and is idempotent with the same arguments;
  * the message comes back with properties.delivery_mode == 2, and a transient one with 1;
  * after the ack the queue is empty;
  * the tutorial's warning "if the queue was already declared, use another name": redeclaring
    it with durable=False closes the channel with 406 PRECONDITION_FAILED (inequivalent arg).
"""
import pika

import common
from common import check_eq


def scenario(cleanup):
    queue = cleanup.queue(common.unique('python'))
    conn = common.connect()
    ch = conn.channel()
    ok = ch.queue_declare(queue=queue, durable=True)
    check_eq((ok.method.queue, ok.method.message_count, ok.method.consumer_count), (queue, 0, 0), 'declare-ok')
    ch.basic_publish(exchange='', routing_key=queue, body='life is short,i use python',
                     properties=pika.BasicProperties(delivery_mode=2))
    ch.basic_publish(exchange='', routing_key=queue, body=b'transient',
                     properties=pika.BasicProperties(delivery_mode=1))

    def on_message(consumer, ch, method, props, body):
        ch.basic_ack(delivery_tag=method.delivery_tag)
        if len(consumer.received) == 2:
            ch.stop_consuming()
    consumer = common.ConsumerThread('Persist_cus', lambda c: c.queue_declare(queue=queue, durable=True).method.queue,
                                     on_message)
    consumer.start_ready()
    consumer.join_checked()
    check_eq([(b, p.delivery_mode) for _m, p, b in consumer.received],
             [(b'life is short,i use python', 2), (b'transient', 1)], '(body, delivery_mode) received')

    check_eq(common.queue_counts(conn, queue), (0, 0), 'queue after ack')
    text = common.expect_channel_error(lambda: conn.channel().queue_declare(queue=queue, durable=False), 406,
                                       'redeclare a durable queue as non-durable')
    check_eq(text, "PRECONDITION_FAILED - inequivalent arg 'durable' for queue '%s' in vhost '/': "
                   "received 'false' but current is 'true'" % queue, 'reply text')
    conn.close()
    return 'durable queue delivered a delivery_mode=2 message with delivery_mode 2'


if __name__ == '__main__':
    common.main(scenario)
