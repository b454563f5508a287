import { HttpResponse, type JsonBodyType } from 'msw';
import { recordEffect, recordRejection, recordReplay, recordUnchanged } from '../context.js';
import type { ModelAnswer, ModelContext } from '../model.js';

/** The handler context of the request msw is serving (from AsyncLocalStorage), for a model's logic called by its msw handler. */
export const ambientContext: ModelContext = {
  commit: recordEffect,
  replayed: recordReplay,
  rejected: recordRejection,
  unchanged: recordUnchanged,
};

/** A model's answer as its msw handler returns it. */
export function jsonResponse(answer: ModelAnswer): Response {
  return HttpResponse.json(answer.json as JsonBodyType, { status: answer.status, headers: answer.headers });
}

/** One header of a node header record as WHATWG `Headers.get` reads it: repeated values joined, absent as null. */
export function headerValue(headers: Readonly<Record<string, string | string[] | undefined>>, name: string): string | null {
  const value = headers[name];
  if (value === undefined) return null;
  return Array.isArray(value) ? value.join(', ') : value;
}

/** An answer as a Response: no body where there is none to give (204, 304, or no JSON). */
export function respond(answer: ModelAnswer): Response {
  if (answer.json === undefined || answer.status === 204 || answer.status === 304) {
    return new HttpResponse(null, { status: answer.status, headers: answer.headers });
  }
  return HttpResponse.json(answer.json as JsonBodyType, { status: answer.status, headers: answer.headers });
}
