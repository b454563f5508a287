// The JavaScript zoo targets' one HTTP call, shared so that each target shows
// only its own logic (and `diff fixed.mjs buggy.mjs` only the bug). node:http,
// not fetch: fetch's first use costs a short-lived process ~170 ms of CPU.
import http from 'node:http';

/**
 * POSTs `body` as JSON to `url`: {status, replayed, answer}. status is null
 * when no answer came (refused, reset, timed out); answer is null when the
 * body was cut off or not JSON; replayed is the `Idempotent-Replayed` header.
 */
export function postJson(url, body, headers, timeoutMs) {
  return new Promise((resolve) => {
    const options = { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, timeout: timeoutMs, agent: false };
    const request = http.request(url, options, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (text += chunk));
      res.on('error', () => undefined); // a cut-off answer: judged on 'close'
      res.on('close', () => {
        let answer = null;
        try {
          answer = res.complete ? JSON.parse(text) : null;
        } catch {
          // not JSON
        }
        resolve({ status: res.statusCode, replayed: res.headers['idempotent-replayed'] === 'true', answer });
      });
    });
    request.on('timeout', () => request.destroy(new Error('timed out')));
    request.on('error', () => resolve({ status: null, replayed: false, answer: null }));
    request.end(JSON.stringify(body));
  });
}
