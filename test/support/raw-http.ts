// A request sent as a client sends it, over a connection of its own: for bodies the tests send
// slowly, in part or streamed, which supertest cannot. Its answer is read whole, as JSON.
import http, { type ClientRequest, type OutgoingHttpHeaders } from 'node:http';

export interface RawAnswer {
  status: number;
  /** The JSON body (null when empty); `any`, as supertest's body is, for the tests to assert on. */
  body: any;
}

/**
 * A request to the API on 127.0.0.1:`port`, left open for the caller to write and end. A
 * connection error before the answer rejects `answer`; one after it (the server closing while the
 * client still writes) does not. `answer` is always handled, so a test may await it late.
 */
export function rawRequest(port: number, method: string, path: string, headers: OutgoingHttpHeaders): { req: ClientRequest; answer: Promise<RawAnswer> } {
  const req = http.request({ host: '127.0.0.1', port, method, path, headers, agent: false });
  let answered = false;
  const answer = new Promise<RawAnswer>((resolve, reject) => {
    req.on('response', (res) => {
      answered = true;
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : null }));
    });
    req.on('error', (e) => (answered ? undefined : reject(e)));
  });
  answer.catch(() => undefined);
  return { req, answer };
}
