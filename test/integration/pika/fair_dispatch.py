"""Pattern 3 - round-robin dispatch and basic_qos(prefetch_count=1) fair dispatch.

Part 1, round robin (receive1.py / receive2.py with no qos): two consumers subscribed to one
queue, 10 messages published -> the deliveries alternate strictly between the consumers, each
getting 5 (1,3,5,7,9 and 2,4,6,8,10), "no matter who is busy".

Part 2, fair dispatch: the same setup but both consumers call basic_qos(prefetch_count=1) and
ack manually. The slow consumer keeps its first message unacked until the fast consumer has
processed everything else (a deterministic stand-in for time.sleep in the tutorial); the fast
one acks at once. With prefetch 1 the broker must not push a second message to the slow
consumer while it holds one, so the fast one gets the other 9 of 10. Afterwards the slow
consumer acks and the queue is empty.
"""
import common
from common import check, check_eq

N = 10


def bodies_as_ints(consumer):
    return [int(b) for b in consumer.bodies()]


def publish_numbers(ch, queue):
    for i in range(1, N + 1):
        ch.basic_publish('', queue, str(i).encode())


def round_robin(cleanup, ch):
    queue = cleanup.queue(common.unique('task_queue_rr'))
    ch.queue_declare(queue=queue)
    c1 = common.ConsumerThread('rr-1', lambda ch: queue, auto_ack=True).start_ready()
    c2 = common.ConsumerThread('rr-2', lambda ch: queue, auto_ack=True).start_ready()
    publish_numbers(ch, queue)
    check(c1.wait_until(lambda: len(c1.received) + len(c2.received) >= N),
          'round robin: only %d of %d messages delivered' % (len(c1.received) + len(c2.received), N))
    got1, got2 = bodies_as_ints(c1), bodies_as_ints(c2)
    for c in (c1, c2):
        c.stop()
        c.join_checked()
    # Whoever got message 1 gets the odd ones, the other the even ones.
    odd, even = list(range(1, N + 1, 2)), list(range(2, N + 1, 2))
    check(sorted([got1, got2]) == [odd, even],
          'round robin: expected one consumer to get %r and the other %r, got %r and %r' % (odd, even, got1, got2))
    return got1, got2


def fair_dispatch(cleanup, admin, ch):
    queue = cleanup.queue(common.unique('task_queue_qos'))
    ch.queue_declare(queue=queue, durable=True)
    state = {'slow_unacked': 0, 'slow_max_unacked': 0}

    def total():
        return len(slow.received) + len(fast.received)

    def on_slow(consumer, ch, method, props, body):
        # Do not ack yet: the main thread acks once the fast consumer is done.
        state['slow_unacked'] += 1
        state['slow_max_unacked'] = max(state['slow_max_unacked'], state['slow_unacked'])

    def on_fast(consumer, ch, method, props, body):
        ch.basic_ack(delivery_tag=method.delivery_tag)

    slow = common.ConsumerThread('slow', lambda ch: queue, on_slow, prefetch=1).start_ready()
    fast = common.ConsumerThread('fast', lambda ch: queue, on_fast, prefetch=1).start_ready()
    publish_numbers(ch, queue)

    check(fast.wait_until(lambda: total() >= N),
          'fair dispatch: only %d of %d delivered (slow %r, fast %r)' % (total(), N, slow.bodies(), fast.bodies()))
    n_slow, n_fast = len(slow.received), len(fast.received)

    def ack_all(ch):
        for method, _p, _b in slow.received:
            ch.basic_ack(delivery_tag=method.delivery_tag)
            state['slow_unacked'] -= 1
    slow.call(ack_all)
    for c in (slow, fast):
        c.stop()
        c.join_checked()

    check_eq(sorted(bodies_as_ints(slow) + bodies_as_ints(fast)), list(range(1, N + 1)),
             'fair dispatch: every message delivered exactly once')
    check_eq(state['slow_max_unacked'], 1, 'fair dispatch: most unacked messages the prefetch=1 slow consumer held')
    check(1 <= n_slow <= 2 and n_fast >= N - 2,
          'fair dispatch: expected the slow consumer to get 1-2 and the fast one the rest, got slow=%r fast=%r'
          % (bodies_as_ints(slow), bodies_as_ints(fast)))
    check_eq(common.queue_counts(admin, queue), (0, 0), 'fair dispatch: (message_count, consumer_count) at the end')
    return n_slow, n_fast


def scenario(cleanup):
    admin = common.connect()  # producer (new_task.py) and observer
    ch = admin.channel()
    got1, got2 = round_robin(cleanup, ch)
    n_slow, n_fast = fair_dispatch(cleanup, admin, ch)
    admin.close()
    return 'round robin %r / %r; prefetch=1: slow got %d, fast got %d' % (got1, got2, n_slow, n_fast)


if __name__ == '__main__':
    common.main(scenario)
