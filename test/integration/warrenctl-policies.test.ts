// warrenctl's policy commands against an in-process Warren: set_policy, clear_policy,
// list_policies and the operator-policy twins, with rabbitmqctl 3.10's banners, tables, errors and
// exit codes (checked against the reference's rabbitmqctl), and the effect on the broker.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ctlSkip, expectRun, show, useCtlBroker } from './warrenctl-helpers.js';

describe('warrenctl: policies', { skip: ctlSkip() }, () => {
  const b = useCtlBroker();
  const { ctl } = b;

  test('set_policy with --priority and --apply-to; list_policies shows it; the queue gets it', async () => {
    const v = b.broker.warren?.vhosts.get('/');
    v?.declareQueue('partG-ctl-q', false, { durable: false, exclusive: false, autoDelete: false, arguments: {} }, null);
    expectRun(
      await ctl(['set_policy', '--priority', '2', '--apply-to', 'queues', 'partG-c1', '^partG-ctl', '{"max-length":4}']),
      0,
      'Setting policy "partG-c1" for pattern "^partG-ctl" to "{"max-length":4}" with priority "2" for vhost "/" ...\n',
    );
    assert.equal(v?.queues.get('partG-ctl-q')?.policyName, 'partG-c1', 'the existing queue has the policy');
    assert.equal(v?.queues.get('partG-ctl-q')?.limits.maxLength, 4, 'and its max-length');
    expectRun(
      await ctl(['list_policies']),
      0,
      'Listing policies for vhost "/" ...\nvhost\tname\tpattern\tapply-to\tdefinition\tpriority\n/\tpartG-c1\t^partG-ctl\tqueues\t{"max-length":4}\t2\n',
    );
    expectRun(
      await ctl(['list_policies', '--formatter', 'json']),
      0,
      '[\n{"vhost":"/","name":"partG-c1","pattern":"^partG-ctl","apply-to":"queues","definition":"{\\"max-length\\":4}","priority":2}\n]\n',
    );
    expectRun(await ctl(['clear_policy', 'partG-c1']), 0, 'Clearing policy "partG-c1" on vhost "/" ...\n');
    assert.equal(v?.queues.get('partG-ctl-q')?.policyName, undefined, 'the policy no longer applies');
    expectRun(await ctl(['-q', 'list_policies']), 0, '\n'); // rabbitmqctl prints an empty line too
    v?.deleteQueue('partG-ctl-q', false, false, null);
  });

  test('refusals: unknown key, bad JSON, missing policy, missing vhost', async () => {
    expectRun(
      await ctl(['set_policy', 'partG-c2', '^x', '{"max-lengthx":4}']),
      69,
      'Setting policy "partG-c2" for pattern "^x" to "{"max-lengthx":4}" with priority "0" for vhost "/" ...\n',
      'Error:\nValidation failed\n\n[{<<"max-lengthx">>,4}] are not recognised policy settings\n\n',
    );
    expectRun(
      await ctl(['set_policy', 'partG-c2', '^x', 'notjson']),
      69,
      'Setting policy "partG-c2" for pattern "^x" to "notjson" with priority "0" for vhost "/" ...\n',
      'Error:\nJSON decoding error. Reason: badarg\n',
    );
    const prio = await ctl(['set_policy', '--priority', 'x', 'partG-c2', '^x', '{"max-length":4}']);
    assert.equal(prio.code, 64, show(prio));
    assert.ok(prio.stderr.startsWith('Error (argument validation): Invalid options for this command:\n--priority : x\n'), show(prio));
    expectRun(await ctl(['clear_policy', 'partG-nonex']), 69, 'Clearing policy "partG-nonex" on vhost "/" ...\n', 'Error:\nParameter does not exist\n');
    expectRun(await ctl(['list_policies', '-p', 'partG-nonexist']), 65, 'Listing policies for vhost "partG-nonexist" ...\n', "Virtual host 'partG-nonexist' does not exist\n");
    expectRun(
      await ctl(['set_policy', '-p', 'partG-nonex', 'partG-c2', '^x', '{"max-length":4}']),
      65,
      'Setting policy "partG-c2" for pattern "^x" to "{"max-length":4}" with priority "0" for vhost "partG-nonex" ...\n',
      "Virtual host 'partG-nonex' does not exist\n",
    );
  });

  test('operator policies: set, list, clear', async () => {
    expectRun(
      await ctl(['set_operator_policy', 'partG-o3', '^x', '{"max-length":4}']),
      0,
      'Setting operator policy override "partG-o3" for pattern "^x" to "{"max-length":4}" with priority "0" for vhost "/" ...\n',
    );
    expectRun(
      await ctl(['list_operator_policies']),
      0,
      'Listing operator policy overrides for vhost "/" ...\nvhost\tname\tpattern\tapply-to\tdefinition\tpriority\n/\tpartG-o3\t^x\tall\t{"max-length":4}\t0\n',
    );
    const bad = await ctl(['set_operator_policy', 'partG-o4', '^x', '{"dead-letter-exchange":"x"}']);
    assert.equal(bad.code, 69, show(bad));
    assert.equal(bad.stderr, 'Error:\nValidation failed\n\n[{<<"dead-letter-exchange">>,<<"x">>}] are not recognised policy settings\n\n', show(bad));
    expectRun(await ctl(['clear_operator_policy', 'partG-o3']), 0, 'Clearing operator policy "partG-o3" on vhost "/" ...\n');
  });
});
