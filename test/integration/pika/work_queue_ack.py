"""Pattern 2 - work queue with manual acknowledgements (pro_ack.py / cus_ack.py).

"If a consumer dies before acking, RabbitMQ re-queues the message and gives it to another
consumer." Two consumers share one queue with auto_ack=False:

  round 1 - consumer A is a separate *process* that receives the task and is killed (SIGKILL,
            the socket just drops, no connection.close) before acking;
  round 2 - consumer A is a thread that receives the task and closes its connection cleanly
            without acking.

In both rounds consumer B then receives the same task with method.redelivered == True, acks it,
and the queue ends empty (passive queue.declare message_count == 0). Also proves that an
unacked message is not counted in message_count while it is held, and consumer_count follows
consumers coming and going.
"""
import json
import os
import select
import subprocess
import sys

import pika

import common
from common import check, check_eq

PERSISTENT = pika.BasicProperties(delivery_mode=2)  # tutorial: durable queue + persistent tasks


def worker_process(queue):
    """Consumer A of round 1: prints each delivery as a JSON line, never acks."""
    conn = common.connect()
    ch = conn.channel()
    ch.basic_qos(prefetch_count=1)

    def on_message(ch, method, props, body):
        print(json.dumps({'body': body.decode(), 'redelivered': method.redelivered}), flush=True)

    ch.basic_consume(queue, on_message, auto_ack=False)
    print(json.dumps({'ready': True}), flush=True)
    conn.call_later(common.SCRIPT_TIMEOUT, ch.stop_consuming)  # never outlive the parent
    ch.start_consuming()


def read_json_line(proc, timeout):
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    check(ready, 'worker process printed nothing within %ss' % timeout)
    line = proc.stdout.readline()
    check(line, 'worker process exited early (status %r)' % proc.poll())
    return json.loads(line)


def acking_consumer(name, queue):
    """Consumer B: acks every delivery (cus_ack.py)."""
    def on_message(consumer, ch, method, props, body):
        ch.basic_ack(delivery_tag=method.delivery_tag)
    return common.ConsumerThread(name, lambda ch: queue, on_message, prefetch=1).start_ready()


def check_redelivered_to_b(b, body, round_name):
    check_eq(b.wait_count(1), 1, '%s: deliveries to consumer B' % round_name)
    method, _p, got = b.received[0]
    check_eq(got, body, '%s: body redelivered to B' % round_name)
    check_eq(method.redelivered, True, '%s: B sees method.redelivered' % round_name)


def scenario(cleanup):
    queue = cleanup.queue(common.unique('task_queue'))
    admin = common.connect()  # the producer / observer "program"
    pub = admin.channel()
    pub.queue_declare(queue=queue, durable=True)

    # ---- round 1: A is a process that gets SIGKILLed while holding the message -----------
    proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), '--worker', queue],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True)
    try:
        check_eq(read_json_line(proc, common.WAIT), {'ready': True}, 'worker A startup')
        pub.basic_publish('', queue, b'task-1', PERSISTENT)
        check_eq(read_json_line(proc, common.WAIT), {'body': 'task-1', 'redelivered': False},
                 'round 1: first delivery to A')
        # A holds the only message unacked: it is not "ready" any more.
        check_eq(common.queue_counts(admin, queue), (0, 1), 'round 1: (message_count, consumer_count) while A holds task-1')

        b = acking_consumer('B1', queue)
        check_eq(common.queue_counts(admin, queue), (0, 2), 'round 1: counts with A and B subscribed')
        check_eq(len(b.received), 0, 'round 1: B got something while A still held the only message')
        proc.kill()  # the consumer "dies": no ack, no connection.close
        proc.wait(common.WAIT)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    check_redelivered_to_b(b, b'task-1', 'round 1')
    check_eq(common.queue_counts(admin, queue), (0, 1), 'round 1: counts after A died and B acked')
    b.stop()
    b.join_checked()

    # ---- round 2: A closes its connection without acking -------------------------------
    def close_without_ack(consumer, ch, method, props, body):
        ch.stop_consuming()  # then the thread closes its connection (no basic.ack sent)
    a = common.ConsumerThread('A2', lambda ch: queue, close_without_ack, prefetch=1).start_ready()
    pub.basic_publish('', queue, b'task-2', PERSISTENT)
    check_eq(a.wait_count(1), 1, 'round 2: deliveries to A')
    check_eq(a.received[0][0].redelivered, False, 'round 2: first delivery redelivered flag')
    a.join_checked()  # connection closed
    b = acking_consumer('B2', queue)
    check_redelivered_to_b(b, b'task-2', 'round 2')
    b.stop()
    b.join_checked()

    check_eq(common.queue_counts(admin, queue), (0, 0), 'queue at the end (message_count, consumer_count)')
    admin.close()
    return 'unacked message requeued after consumer death (SIGKILL and clean close) and redelivered with redelivered=True'


if __name__ == '__main__':
    if len(sys.argv) == 3 and sys.argv[1] == '--worker':
        worker_process(sys.argv[2])
    else:
        common.main(scenario)
