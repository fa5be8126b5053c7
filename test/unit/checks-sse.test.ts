import { createServer, type Server, type ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dur } from '../support/specs.js';
import { SseParser, type SseEvent } from '../../src/checks/kinds/sse-parse.js';
import { sse } from '../../src/checks/kinds/sse.js';
import type { CheckContext } from '../../src/live/check.js';
import { realClock } from '../../src/common/clock.js';
import type { Suite } from '../../src/model/suite.js';

/** Parses a whole stream fed in the given pieces. */
function parse(...chunks: string[]): { events: SseEvent[]; parser: SseParser } {
  const parser = new SseParser();
  const events = chunks.flatMap((c) => parser.push(c));
  return { events, parser };
}

const FIXTURE_STREAM = 'id: 1\nevent: tick\ndata: {"n":1}\n\nid: 2\nevent: tick\ndata: {"n":2}\n\n';

describe('the SSE parser', () => {
  it('reads events with their type, data and id', () => {
    expect(parse(FIXTURE_STREAM).events).toEqual([
      { event: 'tick', data: '{"n":1}', id: '1' },
      { event: 'tick', data: '{"n":2}', id: '2' },
    ]);
  });

  it('joins data lines with \\n and names untyped events "message"', () => {
    expect(parse('data: first\ndata: second\ndata\ndata:third\n\n').events).toEqual([
      { event: 'message', data: 'first\nsecond\n\nthird', id: '' },
    ]);
  });

  it('strips one leading space from a value, no more', () => {
    expect(parse('data:  two spaces\n\n').events[0]!.data).toBe(' two spaces');
  });

  it('ends lines at CRLF, LF and CR alike', () => {
    const want = [
      { event: 'a', data: '1\n2', id: '' },
      { event: 'message', data: '3', id: '' },
    ];
    expect(parse('event: a\r\ndata: 1\r\ndata: 2\r\n\r\ndata: 3\r\n\r\n').events).toEqual(want);
    expect(parse('event: a\rdata: 1\rdata: 2\r\rdata: 3\r\r').events).toEqual(want);
    expect(parse('event: a\ndata: 1\rdata: 2\r\n\ndata: 3\n\r').events).toEqual(want);
  });

  it('gives the same events however the stream is cut, a CRLF split across chunks included', () => {
    const stream =
      'id: 7\r\nevent: job\r\ndata: {"a":\r\ndata: 1}\r\n\r\n: ping\r\ndata: x\r\n\r\n';
    const whole = parse(stream).events;
    expect(whole).toHaveLength(2);
    expect(parse(...stream.split('')).events).toEqual(whole);
    for (let cut = 1; cut < stream.length; cut++) {
      expect(parse(stream.slice(0, cut), stream.slice(cut)).events).toEqual(whole);
    }
    // A CR at the end of one chunk and the LF at the start of the next are one line end.
    expect(parse('data: a\r', '\n', '\r', '\n').events).toEqual([
      { event: 'message', data: 'a', id: '' },
    ]);
  });

  it('skips comments (counting them) and unknown fields, and reads retry', () => {
    const { events, parser } = parse(
      ': keep-alive\n:\nretry: 3000\nfoo: bar\ndata: x\n\nretry: soon\n',
    );
    expect(events).toEqual([{ event: 'message', data: 'x', id: '' }]);
    expect(parser.comments).toBe(2);
    expect(parser.retryMs).toBe(3000);
  });

  it('does not dispatch an event without data, and resets the type after each event', () => {
    expect(parse('event: lonely\n\ndata: a\n\n').events).toEqual([
      { event: 'message', data: 'a', id: '' },
    ]);
    expect(parse('event: x\ndata: 1\n\ndata: 2\n\n').events.map((e) => e.event)).toEqual([
      'x',
      'message',
    ]);
  });

  it('keeps the last event id for later events; an empty id clears it, one with NUL is ignored', () => {
    const ids = parse(
      'id: 5\ndata: a\n\ndata: b\n\nid: 6\0\ndata: c\n\nid\ndata: d\n\n',
    ).events.map((e) => e.id);
    expect(ids).toEqual(['5', '5', '5', '']);
  });

  it('drops an event the stream ends before finishing, and a leading BOM', () => {
    expect(parse('\uFEFFdata: a\n\ndata: unfinished\n').events).toEqual([
      { event: 'message', data: 'a', id: '' },
    ]);
    expect(parse('\uFEFFdata: a\n\n').events[0]!.data).toBe('a');
  });

  it('treats a line without a colon as a field with an empty value', () => {
    expect(parse('event\ndata\n\n').events).toEqual([{ event: 'message', data: '', id: '' }]);
  });
});

describe('the sse client against a local server', () => {
  let server: Server;
  let base: string;
  const open = new Set<ServerResponse>();

  beforeAll(async () => {
    // /n/COUNT: COUNT events, then holds; /reset: one event, then the socket is destroyed;
    // /status/503: not a stream.
    server = createServer((req, res) => {
      const [, route, arg] = req.url!.split('/');
      if (route === 'status') return res.writeHead(Number(arg)).end();
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' });
      open.add(res);
      res.on('close', () => open.delete(res));
      if (route === 'reset') {
        res.write('data: only\n\n');
        setTimeout(() => res.socket?.destroy(), 100);
        return;
      }
      for (let i = 1; i <= Number(arg); i++) res.write(`event: job\ndata: ${i}\n\n`);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    open.forEach((r) => r.destroy());
    await new Promise((r) => server.close(r));
  });

  function attempt(path: string, expect: Record<string, unknown>, signal: AbortSignal) {
    const ctx: CheckContext = { suite: {} as Suite, signal, clock: realClock };
    return sse.attempt(
      {
        name: 's',
        timeout: dur('10s'),
        serial: false,
        any: false,
        sse: { url: `${base}${path}`, path: '/', headers: {} },
        expect: { events: 1, clients: 1, ...expect },
      },
      ctx,
    );
  }

  it('stops reading once it has the events it needs', async () => {
    const o = await attempt('/n/3', { events: 2, event: 'job' }, AbortSignal.timeout(5000));
    expect(o.status).toBe('passed');
    // The server keeps the stream open after its events: only stopping ends the attempt early.
    const [conn] = o.evidence.connections as { events: number; durationMs: number }[];
    expect(conn).toMatchObject({ client: 1, status: 200, received: 3, dropped: false });
    expect(conn!.events).toBeGreaterThanOrEqual(2);
    expect(conn!.durationMs).toBeLessThan(2000);
  });

  it("reports what arrived when the check's timeout ends the wait, rather than a bare timeout", async () => {
    const o = await attempt('/n/2', { events: 5 }, AbortSignal.timeout(400));
    expect(o).toMatchObject({
      status: 'failed',
      message: "2 of 5 events within the check's timeout",
    });
    expect((o.evidence.connections as unknown[])[0]).toMatchObject({ events: 2, timedOut: true });
  });

  it('counts a reset connection as a drop, with the socket error', async () => {
    const o = await attempt(
      '/reset',
      { events: 1, hold: dur('2s'), clients: 2 },
      AbortSignal.timeout(5000),
    );
    expect(o.status).toBe('failed');
    expect(o.message).toMatch(
      /^2 of 2 connections dropped before the 2s hold ended; client 1: dropped at \d+\.\ds, before the 2s hold ended \(terminated: .+\); and 1 more$/,
    );
    expect(o.evidence.drops).toBe(2);
  });

  it('fails an error status and a refused connection, with the reason', async () => {
    const signal = AbortSignal.timeout(5000);
    expect((await attempt('/status/503', {}, signal)).message).toBe('status 503');
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as { port: number }).port;
    await new Promise((r) => closed.close(r));
    const ctx: CheckContext = { suite: {} as Suite, signal, clock: realClock };
    const o = await sse.attempt(
      {
        name: 's',
        timeout: dur('10s'),
        serial: false,
        any: false,
        sse: { url: `http://127.0.0.1:${port}/`, path: '/', headers: {} },
        expect: { events: 1, clients: 1 },
      },
      ctx,
    );
    expect(o).toMatchObject({
      status: 'failed',
      message: expect.stringMatching(/^fetch failed: .*ECONNREFUSED/),
    });
  });

  it('lets a cancellation through instead of judging', async () => {
    const ac = new AbortController();
    const pending = attempt('/n/0', { events: 1 }, ac.signal);
    setTimeout(() => ac.abort(new Error('cancelled')), 100);
    await expect(pending).rejects.toThrow('cancelled');
  });
});
