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

describe('live-backoff - stable connections', () => {
  it('live-backoff - only a connection that stayed open as long as the longest delay starts the backoff over', () => {
    let now = 0;
    const b = new ReconnectBackoff(200, 1000, () => 0.5, () => now);
    expect([b.nextDelayMs(), b.nextDelayMs()]).toEqual([200, 400]);
    // Accepted, then closed at once (a hub shutting down, or refusing this client again and again): keep growing.
    b.opened();
    now += 50;
    b.closed();
    expect(b.nextDelayMs()).toBe(800);
    // A connection that lasted: the next outage starts from the initial delay.
    b.opened();
    now += 1000;
    b.closed();
    expect(b.nextDelayMs()).toBe(200);
  });
});
