import { describe, expect, it } from 'vitest';
import { commentMarker, upsertComment, type CommentApi } from '../../src/action/pr-comment.js';

function fakeApi(existing: { id: number; body?: string }[]) {
  const calls: string[] = [];
  const api: CommentApi = {
    async list(_t, page) {
      calls.push(`list ${page}`);
      return existing.slice((page - 1) * 100, page * 100);
    },
    async create(_t, body) {
      calls.push(`create ${body.split('\n')[0]}`);
    },
    async update(_t, id, body) {
      calls.push(`update ${id} ${body.split('\n')[0]}`);
    },
  };
  return { api, calls };
}

const target = { owner: 'o', repo: 'r', issue: 7 };

describe('pull-request comment', () => {
  it('creates one comment per suite, marked so it can be found again', async () => {
    const { api, calls } = fakeApi([{ id: 1, body: 'unrelated' }]);
    expect(await upsertComment(api, target, 'shop', '## ✅ shop')).toBe('created');
    expect(calls).toEqual(['list 1', `create ${commentMarker('shop')}`]);
  });

  it('updates that comment in place on later runs, even several pages in', async () => {
    const others = Array.from({ length: 150 }, (_, i) => ({ id: i + 10, body: `chat ${i}` }));
    const { api, calls } = fakeApi([...others, { id: 99, body: `${commentMarker('shop')}\nold` }]);
    expect(await upsertComment(api, target, 'shop', 'new')).toBe('updated');
    expect(calls).toEqual(['list 1', 'list 2', `update 99 ${commentMarker('shop')}`]);
  });

  it('keeps suites apart', async () => {
    const { api, calls } = fakeApi([{ id: 5, body: `${commentMarker('other suite')}\nx` }]);
    expect(await upsertComment(api, target, 'shop', 'new')).toBe('created');
    expect(calls.at(-1)).toBe(`create ${commentMarker('shop')}`);
    expect(commentMarker('a --> b')).toBe('<!-- stackcheck:suite=a%20--%3E%20b -->');
  });
});
