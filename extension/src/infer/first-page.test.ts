import { describe, expect, it } from 'vitest';
import { firstPageResult } from './first-page';

describe('the edge’s first page as the client reads it', () => {
  it('keeps at most k cards with an id and a reason, and only the fields a card has, of their types', () => {
    const result = firstPageResult(
      {
        model_version: 3,
        cold: false,
        items: [
          {
            item_id: 'A',
            reason: 'often viewed with X',
            item_name: 'Kettle',
            price: 12.5,
            url: '/p/A',
            image: '/a.jpg',
            signal: 'neighbours',
            extra: 'x',
          },
          { item_id: 'B', reason: 'more Kitchen', price: 'free', item_name: 7, signal: 'telepathy' },
          { item_id: 'C' },
          null,
          'D',
          { item_id: 'E', reason: 'x'.repeat(5000) },
          { item_id: 'F', reason: 'popular in the shop' },
          { item_id: 'G', reason: 'popular in the shop' },
        ],
      },
      3,
      12,
    );
    expect(result).toEqual({
      items: [
        {
          item_id: 'A',
          reason: 'often viewed with X',
          signal: 'neighbours',
          item_name: 'Kettle',
          price: 12.5,
          url: '/p/A',
          image: '/a.jpg',
        },
        { item_id: 'B', reason: 'more Kitchen' },
      ],
      model_version: 3,
      backend: 'edge',
      cold: false,
      ms: 12,
    });
  });

  it('is nothing at all for what is not an answer', () => {
    for (const doc of [null, 'x', 42, [], {}, { items: [] }, { items: 'x' }, { items: [{ reason: 'no id' }] }])
      expect(firstPageResult(doc, 4, 1)).toBeUndefined();
    expect(
      firstPageResult({ items: [{ item_id: 'A', reason: 'r' }], model_version: 'v1' }, 4, 1)?.model_version,
    ).toBeNull();
  });
});
