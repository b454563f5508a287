#!/usr/bin/env node
// orders-naive: the typical naive CLI, kept as a retry-safety counterexample.
// Deliberate bugs (this is what retryproof should catch):
//   - --idempotency-key is accepted but ignored: nothing is sent upstream and
//     nothing is remembered locally, so every run (and every retry) creates anew.
//   - On any error (timeout, reset, 5xx, even 4xx) it blindly retries the POST,
//     although the upstream may already have done the work.
//   - It keeps no state, so a run killed mid-request cannot recover.

const TIMEOUT_MS = Number(process.env.REQUEST_TIMEOUT_MS ?? 500) || 500;
const ATTEMPTS = 3;

function usage(msg) {
  process.stderr.write(`error: ${msg}\n` +
    'usage: orders-naive create-order --amount N [--idempotency-key K]\n' +
    '       orders-naive send-email --to ADDR [--idempotency-key K]\n');
  process.exit(2);
}

function parseFlags(args, allowed) {
  const flags = {};
  for (let i = 0; i < args.length; i += 2) {
    const name = args[i]?.startsWith('--') ? args[i].slice(2) : null;
    if (!name || !allowed.includes(name)) usage(`unexpected argument: ${args[i]}`);
    if (i + 1 >= args.length) usage(`missing value for --${name}`);
    flags[name] = args[i + 1];
  }
  return flags;
}

async function postWithRetries(url, body) {
  let reason = 'unknown error';
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
      if (res.ok) return await res.json();
      reason = `HTTP ${res.status}`;
    } catch (err) {
      reason = err?.name === 'TimeoutError' ? `timed out after ${TIMEOUT_MS} ms`
        : (err?.cause?.code ?? err?.message ?? String(err));
    }
    // BUG (deliberate): retry immediately, whatever happened upstream.
  }
  throw new Error(reason);
}

async function main() {
  const [command, ...rest] = process.argv.slice(2);
  try {
    if (command === 'create-order') {
      const { amount } = parseFlags(rest, ['amount', 'idempotency-key']);
      const n = Number(amount);
      if (amount === undefined || amount.trim() === '' || !Number.isFinite(n)) usage('--amount N is required (a number)');
      const base = process.env.PAYMENTS_URL;
      if (!base) usage('PAYMENTS_URL is not set');
      const charge = await postWithRetries(`${base}/charges`, { amount: n });
      process.stdout.write(`order created: ${charge.id}\n`);
    } else if (command === 'send-email') {
      const { to } = parseFlags(rest, ['to', 'idempotency-key']);
      if (!to) usage('--to ADDR is required');
      const base = process.env.MAILER_URL;
      if (!base) usage('MAILER_URL is not set');
      const msg = await postWithRetries(`${base}/messages`, { to, subject: 'Your order' });
      process.stdout.write(`email sent: ${msg.id}\n`);
    } else {
      usage(command ? `unknown command: ${command}` : 'missing command');
    }
  } catch (err) {
    process.stderr.write(`error: ${err.message}\n`);
    process.exit(1);
  }
}

main();
