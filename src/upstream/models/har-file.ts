import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { RetryproofError, type ErrorWhere } from '../../errors.js';

/** What retryproof reads of a HAR 1.2 entry (the rest of the format is allowed and ignored). */
const header = z.object({ name: z.string(), value: z.string() });
const entrySchema = z.object({
  request: z.object({
    method: z.string().min(1),
    url: z.url(),
    headers: z.array(header).default([]),
    postData: z.object({ mimeType: z.string().optional(), text: z.string().optional() }).optional(),
  }),
  response: z.object({
    status: z.number().int().min(100).max(599),
    headers: z.array(header).default([]),
    content: z.object({ text: z.string().optional(), encoding: z.string().optional(), mimeType: z.string().optional() }).default({}),
  }),
});
const harSchema = z.object({ log: z.object({ entries: z.array(entrySchema) }) });

/** One recorded exchange, as the har model answers it. */
export interface RecordedExchange {
  /** Its place in the recording (0-based), for messages. */
  index: number;
  method: string;
  url: URL;
  requestHeaders: ReadonlyArray<{ name: string; value: string }>;
  requestText: string;
  requestType: string | null;
  status: number;
  responseHeaders: ReadonlyArray<{ name: string; value: string }>;
  responseBody: Buffer;
}

/**
 * Reads a HAR file (HTTP Archive 1.2, as browsers' dev tools, proxies such as
 * mitmproxy and Charles, and Playwright write it). Throws RetryproofError
 * (exit 2) naming `where` and the broken entry's field for a missing file,
 * bad JSON, or an entry without method, URL or status.
 */
export function readHarFile(file: string, where: ErrorWhere): RecordedExchange[] {
  if (!existsSync(file)) {
    throw new RetryproofError('SCENARIO_INVALID', `the HAR file ${file} does not exist`, where, "give the path of a HAR recording, relative to the scenario file's folder (or to the current folder with replay --har)");
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new RetryproofError('SCENARIO_INVALID', `the HAR file ${file} is not JSON: ${(error as Error).message}`, where, 'export the recording again as HAR (JSON), e.g. "Save all as HAR" in the browser\'s network panel', { cause: error });
  }
  const parsed = harSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.map((part) => (typeof part === 'number' ? `[${part}]` : `.${String(part)}`)).join('').replace(/^\./, '');
    throw new RetryproofError(
      'SCENARIO_INVALID',
      `the HAR file ${file} is broken at ${field}: ${issue.message}`,
      where,
      'a HAR file is {"log": {"entries": [{"request": {"method", "url", ...}, "response": {"status", "content": {"text"}, ...}}]}}: fix that entry or record the traffic again',
    );
  }
  return parsed.data.log.entries.map((entry, index) => ({
    index,
    method: entry.request.method.toUpperCase(),
    url: new URL(entry.request.url),
    requestHeaders: entry.request.headers,
    requestText: entry.request.postData?.text ?? '',
    requestType: entry.request.postData?.mimeType ?? null,
    status: entry.response.status,
    responseHeaders: entry.response.headers,
    responseBody: Buffer.from(entry.response.content.text ?? '', entry.response.content.encoding === 'base64' ? 'base64' : 'utf8'),
  }));
}
