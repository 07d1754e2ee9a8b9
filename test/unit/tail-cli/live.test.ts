import { describe, expect, it } from 'vitest';
import { describeGap } from '../../../tail-cli/live.js';

describe('live', () => {
  it('live - gap frames become one readable stderr line', () => {
    expect(describeGap({ type: 'gap', reason: 'bus_outage', count: 12, from: Date.parse('2025-04-01T12:00:00Z'), to: Date.parse('2025-04-01T12:00:05Z') }))
      .toBe("the hub's message bus was out: 12 records between 2025-04-01T12:00:00.000Z and 2025-04-01T12:00:05.000Z may be missing from the live stream; they are in the history (GET /logs)");
    expect(describeGap({ type: 'gap', reason: 'bus_lost' })).toBe('the hub lost its message bus: records may be missing from the live stream; they are in the history (GET /logs)');
    expect(describeGap({ type: 'gap', reason: 'other', count: 1 })).toMatch(/^the hub reported a gap \(other\): 1 record may/);
  });
});
