#!/usr/bin/env node
// Bug zoo 33, FIXED: one order row per idempotency key (PostgreSQL).
//   create-order --amount N --idempotency-key K
// INSERT ... ON CONFLICT (idem_key) DO NOTHING claims the key once, and the
// row is read before acting: a paid row answers a replay (noop), another
// amount is refused, a pending row (a run that lost its answer, or was
// killed) is finished by charging again with the same key, which payments
// answers from its key store.
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

await db.query("INSERT INTO orders (idem_key, amount, status) VALUES ($1, $2, 'pending') ON CONFLICT (idem_key) DO NOTHING", [key, amount]);
const { rows } = await db.query('SELECT id, amount, status, charge_id FROM orders WHERE idem_key = $1', [key]);
const order = rows[0];
if (order.amount !== amount) await out(3, { effect: 'none', error: 'the key was used with another amount' });
if (order.status === 'paid') await out(0, { effect: 'noop', id: order.charge_id });

const { status, replayed, answer } = await postJson(`${process.env.PAYMENTS_URL}/charges`, { amount }, { 'idempotency-key': key }, Number(process.env.REQUEST_TIMEOUT_MS ?? 800));
if (status !== null && status < 300 && answer?.id) {
  await db.query("UPDATE orders SET status = 'paid', charge_id = $1 WHERE id = $2", [answer.id, order.id]);
  await out(0, { effect: replayed ? 'noop' : 'created', id: answer.id });
}
if (status === 422) await out(3, { effect: 'none', error: 'the key was used with another amount' });
if (status === 409) await out(4, { effect: 'none', error: 'a request with this key is still in flight' });
if (status !== null && status >= 400 && status < 500 && status !== 429) await out(1, { effect: 'none', error: `refused: HTTP ${status}` });
await out(75, { effect: 'unknown', error: `no answer from payments (${status}): the charge may or may not have gone through` });
