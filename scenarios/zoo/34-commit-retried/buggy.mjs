#!/usr/bin/env node
// Bug zoo 34, BUGGY: a transaction retried after its COMMIT's answer was lost.
//   create-order --amount N --idempotency-key K
// It stores the order in PostgreSQL in one transaction, under a per-key lock:
// look the key up, insert the order if it is not there. Then it charges
// payments with the key (payments deduplicates) and marks the order paid.
// When the COMMIT fails (the connection dropped before its answer came), it
// reconnects and runs the insert again, sure the first one failed: but the
// server had committed it, and the order is stored twice. The fix (fixed.mjs):
// run the whole look-up-then-insert transaction again, which finds the order.
import { parseArgs } from 'node:util';
import pg from 'pg';
import { postJson } from '../lib/post-json.mjs';

const { values: opt } = parseArgs({ options: { amount: { type: 'string' }, 'idempotency-key': { type: 'string' } }, allowPositionals: true });
const key = opt['idempotency-key'];
const amount = Number(opt.amount);
let db = null;
const out = async (code, result) => {
  await db?.end().catch(() => undefined);
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(code);
};
const connect = async () => {
  await db?.end().catch(() => undefined);
  db = new pg.Client({ connectionString: process.env.DATABASE_URL, query_timeout: 1000 });
  db.on('error', () => undefined);
  await db.connect();
};

/** The order of this key, stored if it was not: {order, stored}. */
async function lookUpOrInsert() {
  await db.query('BEGIN');
  await db.query('SELECT pg_advisory_xact_lock(hashtext($1))', [key]);
  const { rows } = await db.query('SELECT id, amount, status, charge_id FROM orders WHERE idem_key = $1', [key]);
  if (rows[0]) {
    await db.query('COMMIT');
    return rows[0];
  }
  const inserted = await db.query("INSERT INTO orders (idem_key, amount, status) VALUES ($1, $2, 'pending') RETURNING id, amount, status, charge_id", [key, amount]);
  await db.query('COMMIT');
  return inserted.rows[0];
}

/** The insert alone, in its own transaction. */
async function insert() {
  await db.query('BEGIN');
  const inserted = await db.query("INSERT INTO orders (idem_key, amount, status) VALUES ($1, $2, 'pending') RETURNING id, amount, status, charge_id", [key, amount]);
  await db.query('COMMIT');
  return inserted.rows[0];
}

let order = null;
let firstTry = true;
for (let attempt = 1; attempt <= 3 && !order; attempt += 1) {
  try {
    await connect();
    // BUG: after a failed attempt it runs the insert alone, as if nothing had been stored.
    order = firstTry ? await lookUpOrInsert() : await insert();
  } catch {
    firstTry = false;
  }
}
if (!order) await out(75, { effect: 'unknown', error: 'the database did not answer: the order may or may not be stored' });
if (order.amount !== amount) await out(3, { effect: 'none', error: 'the key was used with another amount' });
if (order.status === 'paid') await out(0, { effect: 'noop', id: order.charge_id });

const { status, replayed, answer } = await postJson(`${process.env.PAYMENTS_URL}/charges`, { amount }, { 'idempotency-key': key }, Number(process.env.REQUEST_TIMEOUT_MS ?? 800));
if (status !== null && status < 300 && answer?.id) {
  await db.query("UPDATE orders SET status = 'paid', charge_id = $1 WHERE id = $2", [answer.id, order.id]).catch(() => undefined);
  await out(0, { effect: replayed ? 'noop' : 'created', id: answer.id });
}
if (status === 422) await out(3, { effect: 'none', error: 'the key was used with another amount' });
if (status === 409) await out(4, { effect: 'none', error: 'a request with this key is still in flight' });
if (status !== null && status >= 400 && status < 500 && status !== 429) await out(1, { effect: 'none', error: `refused: HTTP ${status}` });
await out(75, { effect: 'unknown', error: `no answer from payments (${status}): the charge may or may not have gone through` });
