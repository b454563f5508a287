import { http } from 'msw';
import type { ModelAnswer, ModelContext, UpstreamModel } from '../model.js';
import { ambientContext, headerValue, jsonResponse } from './answer.js';
import { plainPath } from './plain-path.js';
import { decodeForm, isForm } from './request-body.js';

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

  const send = (text: string, contentType: string | null, context: ModelContext): ModelAnswer => {
    let body: unknown = text;
    if (text && isForm(contentType)) body = decodeForm(text);
    else {
      try {
        body = text ? JSON.parse(text) : {};
      } catch {
        // A mailer sends whatever it is given.
      }
    }
    sequence += 1;
    const id = `msg_${sequence}`;
    context.commit({ route, resourceId: id, body });
    return { status: 202, json: { id, status: 'sent' } };
  };

  const paths = plainPath(options.path);
  return {
    handlers: [http.post(`*${options.path}`, async ({ request }) => jsonResponse(send(await request.text(), request.headers.get('content-type'), ambientContext)))],
    ...(paths && {
      fast: {
        route: (method: string, pathname: string) =>
          method === 'POST' && paths.isCollection(pathname) ? (request, context) => send(request.text, headerValue(request.headers, 'content-type'), context) : undefined,
      },
    }),
    reset() {
      sequence = 0;
    },
    traits: { deduplicates: false, lookup: false, noun: options.noun, ignoreFields: options.ignoreFields },
  };
}
