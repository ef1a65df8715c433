import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A Slack incoming-webhook stand-in on loopback: records each body, answers as told. */
export async function slackSink() {
  const bodies: Array<Record<string, unknown>> = [];
  const statuses: number[] = [];
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      const status = statuses.shift() ?? 200;
      if (status === 200) bodies.push(JSON.parse(raw) as Record<string, unknown>);
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'ok' : 'invalid_token');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/services/T000/B000/XXXX`,
    bodies,
    /** The next answers' statuses (then 200). */
    failNext: (...s: number[]) => statuses.push(...s),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
