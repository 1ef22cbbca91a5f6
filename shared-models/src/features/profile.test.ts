import { describe, expect, it } from 'vitest';
import { tags } from '../models/profile/model';
import type { Interaction } from '../schema/interaction';
import { profileRows, referencePrice, typicalHour } from './profile';

const HOUR = 3_600_000;
// Saturday 2026-03-07 and the days after.
const at = (day: number, hour: number) => Date.UTC(2026, 2, 7 + day) + hour * HOUR;

describe('profile features', () => {
  const owl: Interaction[] = [0, 1, 2, 7, 8].map((day, k) => ({
    user_id: 'owl',
    item_id: `cheap${k}`,
    type: 'view_item',
    ts: at(day, k % 2 ? 23.5 : 0.5),
    price: 5,
    category: k < 4 ? 'socks' : 'hats',
    device: 'mobile',
  }));
  const noon: Interaction[] = [2, 3, 4, 5].map((day, k) => ({
    user_id: 'noon',
    item_id: `dear${k}`,
    type: 'view_item',
    ts: at(day, 12),
    price: 40,
    device: 'desktop',
  }));
  const events = [...owl, ...noon].sort((a, b) => a.ts - b.ts);
  const asOf = at(10, 0);
  const reference = referencePrice(events, asOf);
  const rows = profileRows(events, asOf, reference);

  it('put the hour on a circle, so half past eleven and half past midnight average to midnight', () => {
    const when = typicalHour(rows.get('owl') ?? {});
    expect(Math.min(when.hour, 24 - when.hour)).toBeLessThan(0.25);
    expect(when.strength).toBeGreaterThan(0.95);
    expect(typicalHour(rows.get('noon') ?? {}).hour).toBeCloseTo(12, 5);
  });

  it('measure category focus, price level against the shop, weekends and device', () => {
    expect(reference).toBe(5);
    expect(rows.get('owl')).toMatchObject({
      top_category_share: '0.8',
      relative_price: '1',
      weekend_share: '0.8',
      mobile_share: '1',
    });
    expect(rows.get('noon')).toMatchObject({
      relative_price: '8',
      weekend_share: '0',
      mobile_share: '0',
      top_category_share: '',
    });
  });

  it('tag what a merchant acts on', () => {
    expect(tags(rows.get('owl') ?? {}, 0)).toEqual(
      expect.arrayContaining(['shops at night (UTC)', 'mostly mobile', 'likes socks']),
    );
    expect(tags(rows.get('noon') ?? {}, 0)).toContain('premium taste');
    expect(tags({ ...rows.get('owl'), relative_price: '0.5' }, 0)).toContain('price-sensitive');
  });
});
