import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/log.ts';
import { errorMiddleware } from '../../../src/server/http/errors.ts';

/** The body parsers the web app uses, refusing crafted bodies with a 4xx through the one error middleware. */
let url: string;
let close: () => void;
beforeAll(async () => {
  const app = express();
  app.use(express.json({ limit: '100kb' }));
  app.use(express.urlencoded({ extended: false, limit: '100kb', parameterLimit: 200 }));
  app.post('/form', (_req, res) => void res.send('ok'));
  app.use(errorMiddleware(silentLogger(), (status, body) => `<p>${status} ${body.message}</p>`));
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  close = () => server.close();
});
afterAll(() => close());

const post = (body: string, type: string) =>
  fetch(`${url}/form`, { method: 'POST', headers: { 'content-type': type, accept: 'application/json' }, body });

describe('crafted request bodies', () => {
  it('answers a form with more fields than allowed with 413, naming the limit, not 500', async () => {
    const res = await post(Array.from({ length: 210 }, (_, i) => `f${i}=1`).join('&'), 'application/x-www-form-urlencoded');
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ error: 'payload_too_large', message: 'the form has more fields than a request may carry' });
  });

  it('answers an unsupported charset with 4xx, not 500', async () => {
    const res = await post('{}', 'application/json; charset=klingon');
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
  });
});
