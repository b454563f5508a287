import { http, HttpResponse } from 'msw';
import { recordEffect } from '../context.js';
import type { UpstreamModel } from '../model.js';

export interface MailerOptions {
  path: string;
  noun: string;
  ignoreFields: string[];
}

/**
 * A mailer: every POST sends. It never deduplicates and offers no look-up, so
 * after a lost answer no client can know whether the message left.
 */
export function mailerModel(options: MailerOptions): UpstreamModel {
  let sequence = 0;
  const route = `POST ${options.path}`;
  const handlers = [
    http.post(`*${options.path}`, async ({ request }) => {
      const text = await request.text();
      let body: unknown = text;
      try {
        body = text ? JSON.parse(text) : {};
      } catch {
        // A mailer sends whatever it is given.
      }
      sequence += 1;
      const id = `msg_${sequence}`;
      recordEffect({ route, resourceId: id, body });
      return HttpResponse.json({ id, status: 'sent' }, { status: 202 });
    }),
  ];
  return {
    handlers,
    reset() {
      sequence = 0;
    },
    traits: { deduplicates: false, lookup: false, noun: options.noun, ignoreFields: options.ignoreFields },
  };
}
