import { describe, expect, it } from 'vitest';
import { publicPath } from '../../../server/http/public-path.ts';

describe('publicPath', () => {
  it('shows a folder inside the project relative to it', () => {
    expect(publicPath('/srv/arena/models/emotion', '/srv/arena')).toBe('models/emotion');
    expect(publicPath('/srv/arena', '/srv/arena')).toBe('.');
  });

  it('never shows where a folder outside the project lives, only its name', () => {
    expect(publicPath('/home/alice/secret/models/emotion', '/srv/arena')).toBe('emotion');
    expect(publicPath('/srv/arena-old/models/x', '/srv/arena')).toBe('x');
  });
});
