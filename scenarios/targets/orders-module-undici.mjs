// orders-module-undici: the same careful createOrder as orders-module.mjs, but
// over undici.request instead of the global fetch. msw cannot intercept
// undici.request, so a scenario runs it with `interception: loopback`: the
// upstreams are real servers on 127.0.0.1 and the function gets their URLs.
import { request } from 'undici';
import { makeCreateOrder } from './orders-module.mjs';

export const createOrder = makeCreateOrder(async (url, headers, body, signal) => {
  const res = await request(url, { method: 'POST', headers, body, signal });
  return {
    status: res.statusCode,
    header: (name) => {
      const value = res.headers[name];
      return (Array.isArray(value) ? value[0] : value) ?? null;
    },
    text: () => res.body.text(),
  };
});
