/**
 * An incremental parser for `text/event-stream`, as the HTML standard defines it
 * (https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation):
 * lines end with CRLF, LF or CR; `data:` lines join with "\n"; a blank line dispatches;
 * lines starting with ":" are comments; an event with no data is not dispatched; the last
 * event id carries over to later events; an unfinished event at the end of the stream is
 * dropped.
 */

export interface SseEvent {
  /** The event type: `event:`, or "message" when the event named none. */
  event: string;
  data: string;
  /** The last event id seen so far on this stream ("" when none). */
  id: string;
}

export class SseParser {
  /** The text of the line being read, until its end-of-line arrives. */
  private line = '';
  /** A CR ended the last chunk: a LF that starts the next one belongs to it. */
  private afterCr = false;
  private started = false;
  private data: string[] = [];
  private type = '';
  private lastId = '';
  /** The reconnection time the server asked for (`retry:`), if it did. */
  retryMs?: number;
  /** Comment lines seen (servers send them as keep-alives). */
  comments = 0;

  /** Feeds decoded text; returns the events it completes, in order. */
  push(text: string): SseEvent[] {
    if (text === '') return [];
    if (!this.started) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    const out: SseEvent[] = [];
    let i = this.afterCr && text.startsWith('\n') ? 1 : 0;
    this.afterCr = false;
    for (;;) {
      const end = nextEol(text, i);
      if (end < 0) {
        this.line += text.slice(i);
        return out;
      }
      const ev = this.processLine(this.line + text.slice(i, end));
      this.line = '';
      if (ev) out.push(ev);
      i = end + 1;
      if (text[end] === '\r') {
        if (i === text.length) {
          this.afterCr = true;
          return out;
        }
        if (text[i] === '\n') i++;
      }
    }
  }

  private processLine(line: string): SseEvent | undefined {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) {
      this.comments++;
      return undefined;
    }
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'event':
        this.type = value;
        break;
      case 'data':
        this.data.push(value);
        break;
      case 'id':
        if (!value.includes('\0')) this.lastId = value;
        break;
      case 'retry':
        if (/^\d+$/.test(value)) this.retryMs = Number(value);
        break;
      default: // unknown fields are ignored
    }
    return undefined;
  }

  private dispatch(): SseEvent | undefined {
    const data = this.data;
    const type = this.type;
    this.data = [];
    this.type = '';
    if (data.length === 0) return undefined;
    return { event: type || 'message', data: data.join('\n'), id: this.lastId };
  }
}

function nextEol(text: string, from: number): number {
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 || c === 13) return i;
  }
  return -1;
}
