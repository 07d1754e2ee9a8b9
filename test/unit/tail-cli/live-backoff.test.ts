import { describe, expect, it } from 'vitest';
import { ReconnectBackoff } from '../../../tail-cli/live-backoff.js';

describe('live-backoff', () => {
  it('live-backoff - doubles up to the cap, jitters by ±20 %, and starts over after reset', () => {
    const middle = new ReconnectBackoff(200, 1000, () => 0.5);
    expect([1, 2, 3, 4, 5].map(() => middle.nextDelayMs())).toEqual([200, 400, 800, 1000, 1000]);
    middle.reset();
    expect(middle.nextDelayMs()).toBe(200);
    expect(new ReconnectBackoff(200, 1000, () => 0).nextDelayMs()).toBe(160);
    expect(new ReconnectBackoff(200, 1000, () => 1).nextDelayMs()).toBe(240);
  });
});
