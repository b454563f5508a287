#!/usr/bin/env node
// Bug zoo 33, BUGGY: the order row is inserted again on every run (PostgreSQL).
//   create-order --amount N --idempotency-key K
// It stores the order in its PostgreSQL database (DATABASE_URL), then charges
// payments with the caller's key. Payments deduplicates, so no charge is
// doubled; but the order is inserted before the charge without its key, on
// every run: a retry after a lost answer, a replay and a concurrent duplicate
// each leave one more order. The fix (fixed.mjs): the key in a unique column,
// INSERT ... ON CONFLICT DO NOTHING, and the row read before acting.
import { parseArgs } from 'node:util';
import pg from 'pg';
import { postJson } from '../lib/post-json.mjs';

const { values: opt } = parseArgs({ options: { amount: { type: 'string' }, 'idempotency-key': { type: 'string' } }, allowPositionals: true });
const db = new pg.Client({ connectionString: process.env.DATABASE_URL });
await db.connect();
const out = async (code, result) => {
  await db.end().catch(() => undefined);
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(code);
};
const key = opt['idempotency-key'];
const amount = Number(opt.amount);

const { rows } = await db.query("INSERT INTO orders (amount, status) VALUES ($1, 'pending') RETURNING id", [amount]);
const order = rows[0].id;
const { status, replayed, answer } = await postJson(`${process.env.PAYMENTS_URL}/charges`, { amount }, { 'idempotency-key': key }, Number(process.env.REQUEST_TIMEOUT_MS ?? 800));
if (status !== null && status < 300 && answer?.id) {
  await db.query("UPDATE orders SET status = 'paid', charge_id = $1 WHERE id = $2", [answer.id, order]);
  await out(0, { effect: replayed ? 'noop' : 'created', id: answer.id });
}
if (status === 422) await out(3, { effect: 'none', error: 'the key was used with another amount' });
if (status === 409) await out(4, { effect: 'none', error: 'a request with this key is still in flight' });
if (status !== null && status >= 400 && status < 500 && status !== 429) await out(1, { effect: 'none', error: `refused: HTTP ${status}` });
await out(75, { effect: 'unknown', error: `no answer from payments (${status}): the charge may or may not have gone through` });
