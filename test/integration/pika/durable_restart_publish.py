"""Durable restart, part 1 of 2: the seeds' durable example, publisher side (new_task.py /
Persist_pro.py) with pika 1.2.

    channel.queue_declare(queue='task_queue', durable=True)
    channel.basic_publish(exchange='', routing_key='task_queue', body=message,
                          properties=pika.BasicProperties(delivery_mode=2))

test/integration/durability-pika.test.ts runs this, restarts the broker (gracefully or with
kill -9) and then runs durable_restart_consume.py against the new broker. This script therefore
deletes nothing: the queue and its messages must outlive it and the broker.

Environment: AMQP_URL; QUEUE (default 'task_queue'); COUNT persistent messages (default 10);
CONFIRM=1 turns on publisher confirms (channel.confirm_delivery(): each basic_publish returns
only once the broker acked it), which is what makes the messages safe from a kill -9.
Between the persistent messages it also publishes one transient message (delivery_mode=1),
which the restart must drop. Proves, before the restart:
  * the durable declare of a new queue answers message_count 0;
  * COUNT + 1 messages are in the queue once the publisher is done.
"""
import os

import pika

import common
from common import check_eq

QUEUE = os.environ.get('QUEUE', 'task_queue')
COUNT = int(os.environ.get('COUNT', '10'))
CONFIRM = os.environ.get('CONFIRM') == '1'


def message(i):
    """The i-th task body; durable_restart_consume.py expects exactly these."""
    return ('task %d of %d%s' % (i + 1, COUNT, '.' * (i % 4))).encode()


def scenario(cleanup):
    conn = common.connect()
    ch = conn.channel()
    if CONFIRM:
        ch.confirm_delivery()
    ok = ch.queue_declare(queue=QUEUE, durable=True)
    check_eq(ok.method.message_count, 0, 'message_count of the freshly declared durable queue')
    for i in range(COUNT):
        ch.basic_publish(exchange='', routing_key=QUEUE, body=message(i),
                         properties=pika.BasicProperties(delivery_mode=2))
        if i == COUNT // 2:
            ch.basic_publish(exchange='', routing_key=QUEUE, body=b'transient: gone after the restart',
                             properties=pika.BasicProperties(delivery_mode=1))
    check_eq(common.queue_counts(conn, QUEUE), (COUNT + 1, 0), '(messages, consumers) after publishing')
    conn.close()
    return 'published %d persistent messages and 1 transient one to durable queue %s%s' % (
        COUNT, QUEUE, ' with confirms' if CONFIRM else '')


if __name__ == '__main__':
    common.main(scenario)
