import { describe, expect, it } from 'vitest';
import { splitPassword } from './profiles';

describe('splitPassword', () => {
  it('takes a PostgreSQL password out of the URL, for the environment, and leaves other stores as they are', () => {
    expect(splitPassword('postgres://aisle:s%40cret@db:5432/shop')).toEqual({
      from: 'postgres://aisle@db:5432/shop',
      password: 's@cret',
    });
    expect(splitPassword('postgresql://aisle@db/shop')).toEqual({ from: 'postgresql://aisle@db/shop' });
    expect(splitPassword('sqlite:/data/aisle.db')).toEqual({ from: 'sqlite:/data/aisle.db' });
  });
});
