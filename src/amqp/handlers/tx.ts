// confirm.select and tx.select / commit / rollback. A channel is in at most one of the two modes.
import { preconditionFailed } from '../../errors.js';
import type { ConfirmSelect } from '../../protocol/generated/methods.js';
import { M } from '../../protocol/generated/methods.js';
import type { Channel } from '../channel.js';

export function confirmSelect(ch: Channel, m: ConfirmSelect): void {
  if (ch.txMode) throw preconditionFailed('cannot switch from tx to confirm mode');
  ch.confirmMode = true;
  if (!m.nowait) ch.reply({ id: M.ConfirmSelectOk });
}

export function select(ch: Channel): void {
  if (ch.confirmMode) throw preconditionFailed('cannot switch from confirm to tx mode');
  ch.txMode = true;
  ch.reply({ id: M.TxSelectOk });
}

/** commit-ok only once the transaction's persistent messages are on disk (as RabbitMQ waits for its queues). */
export function commit(ch: Channel): void {
  if (!ch.txMode) throw preconditionFailed('channel is not transactional');
  if (ch.txCommit()) ch.replyDurable({ id: M.TxCommitOk });
  else ch.reply({ id: M.TxCommitOk });
}

export function rollback(ch: Channel): void {
  if (!ch.txMode) throw preconditionFailed('channel is not transactional');
  ch.txRollback();
  ch.reply({ id: M.TxRollbackOk });
}
