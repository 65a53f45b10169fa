"""Durable restart, part 2 of 2: the seeds' durable example, worker side (worker.py /
Persist_cus.py) with pika 1.2, run against a broker restarted after durable_restart_publish.py.

    channel.queue_declare(queue='task_queue', durable=True)
    channel.basic_qos(prefetch_count=1)
    channel.basic_consume(queue='task_queue', on_message_callback=callback)   # manual ack
    channel.start_consuming()

Environment: AMQP_URL (the restarted broker); QUEUE and COUNT as for the publisher. Proves,
after the restart:
  * the durable queue is still there, holding exactly the COUNT persistent messages (the
    transient one is gone);
  * the worker receives them in publish order, with delivery_mode 2 and redelivered=False;
  * once each is acked the queue is empty.
Deletes the queue at the end, pass or fail.
"""
import common
from common import check, check_eq
from durable_restart_publish import COUNT, QUEUE, message


def scenario(cleanup):
    conn = common.connect()
    ch = conn.channel()
    ok = ch.queue_declare(queue=QUEUE, durable=True)  # idempotent: the queue survived the restart
    cleanup.queue(QUEUE)
    check_eq(ok.method.message_count, COUNT, 'message_count of the durable queue after the restart')

    received = []
    timed_out = []

    def callback(channel, method, properties, body):
        received.append((body, properties.delivery_mode, method.redelivered))
        channel.basic_ack(delivery_tag=method.delivery_tag)
        if len(received) == COUNT:
            channel.stop_consuming()

    def deadline():
        timed_out.append(True)
        ch.stop_consuming()

    ch.basic_qos(prefetch_count=1)
    ch.basic_consume(queue=QUEUE, on_message_callback=callback)
    conn.call_later(common.WAIT * 2, deadline)
    ch.start_consuming()
    check(not timed_out, 'worker got only %d of %d messages within %ss: %r'
          % (len(received), COUNT, common.WAIT * 2, [b for b, _d, _r in received]))
    check_eq(received, [(message(i), 2, False) for i in range(COUNT)],
             '(body, delivery_mode, redelivered) received after the restart')
    check_eq(common.queue_counts(conn, QUEUE), (0, 0), '(messages, consumers) after acking everything')
    conn.close()
    return 'worker received the %d persistent messages in order after the restart' % COUNT


if __name__ == '__main__':
    common.main(scenario)
