import { request } from 'undici';
import type { ProbeWhere, StateRow } from './probe.js';

/** How long the harness waits for the API's list: it answers a GET, nothing is faulted. */
const TIMEOUT_MS = 10_000;

/**
 * The items an HTTP GET on the API under test lists: `rows` names where the
 * list is in the JSON answer ("data.items"), else the answer is the list. An
 * answer that is no list, or not 2xx, is an error: the probe cannot say what
 * the target stored.
 */
export async function readHttp(spec: { path: string; rows?: string | undefined }, where: ProbeWhere): Promise<StateRow[]> {
  if (!where.baseUrl) throw new Error('an http state probe needs the API under test, and no API is running');
  const url = new URL(spec.path, where.baseUrl).toString();
  const answer = await request(url, { method: 'GET', headersTimeout: TIMEOUT_MS, bodyTimeout: TIMEOUT_MS });
  const text = await answer.body.text();
  if (answer.statusCode < 200 || answer.statusCode >= 300) throw new Error(`GET ${spec.path} answered ${answer.statusCode}: ${text.slice(0, 200)}`);
  let list: unknown = JSON.parse(text);
  for (const field of spec.rows ? spec.rows.split('.') : []) list = (list as Record<string, unknown> | null)?.[field];
  if (!Array.isArray(list)) throw new Error(`GET ${spec.path} gave no list${spec.rows ? ` at "${spec.rows}"` : ''}: ${text.slice(0, 200)}`);
  return list.map((item) => (item !== null && typeof item === 'object' && !Array.isArray(item) ? (item as StateRow) : { value: item }));
}
