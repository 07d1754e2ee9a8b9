/**
 * Macro benchmark: does a stalled live-tail client slow ingest? (issue 3; target: acked ingest
 * rate with one stalled tail within 5 % of the rate with none). NOT part of the test suite.
 *
 * Each round starts a fresh hub process (dist/hub/main.js, in-process bus; fresh data dir so
 * store growth does not bias later rounds) and ships RECORDS records as fast as the hub acks
 * over CONNECTIONS shipper-protocol connections (batches of BATCH, max_inflight window).
 * Rounds alternate: no tail / one tail client that never reads (its socket paused, so the hub's
 * per-client buffer fills and it drops). FAST_TAIL=1 adds a tail that reads everything to the
 * stalled rounds (shows it still gets every record; its own cost then enters the comparison). Reported per
 * mode: median acked records/s, and batch send→ack latency p50/p99/p99.9/max over all rounds.
 * The load is closed-loop (a new batch goes out when one is acked), so the latency figures do
 * NOT include coordinated omission; the rate comparison is the point.
 *
 * Run:  npm run build && node dist/bench/e2e/slow_tail_consumer.js
 * Knobs (env): RECORDS=200000 CONNECTIONS=2 BATCH=500 ROUNDS=3 FAST_TAIL=0 SEED=1
 */
import { createHistogram, performance } from 'node:perf_hooks';
import { machine, median, percentilesMs, writeSection } from './results.js';
import { openTailConn, recordPool, Shipper, startHubProc } from './tail-load.js';

const RECORDS = Number(process.env.RECORDS ?? 200_000);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 2);
const BATCH = Number(process.env.BATCH ?? 500);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const SEED = Number(process.env.SEED ?? 1);
const FAST_TAIL = process.env.FAST_TAIL === '1';

const pool = recordPool(20_000, SEED);
const hist = { none: createHistogram(), stalled: createHistogram() };
const rates: Record<'none' | 'stalled', number[]> = { none: [], stalled: [] };

async function round(mode: 'none' | 'stalled'): Promise<{ rate: number; dropped: number; fastReceived: number }> {
  const hub = await startHubProc();
  try {
    const stalled = mode === 'stalled' ? await openTailConn(hub.wsUrl, hub.token, '') : undefined;
    stalled?.ws.pause();
    const fast = mode === 'stalled' && FAST_TAIL ? await openTailConn(hub.wsUrl, hub.token, '') : undefined;
    const shippers = Array.from({ length: CONNECTIONS }, (_, i) => new Shipper(hub.wsUrl, hub.token, `slow-${i}`));
    await Promise.all(shippers.map((s) => s.ready));
    for (const s of shippers) s.onAckLatency = (ns) => hist[mode].record(ns > 0n ? ns : 1n);
    const t0 = performance.now();
    for (let b = 0; b * BATCH < RECORDS; b++) {
      const recs = new Array(BATCH);
      for (let i = 0; i < BATCH; i++) recs[i] = pool[(b * BATCH + i) % pool.length];
      shippers[b % CONNECTIONS].send(recs);
    }
    await Promise.all(shippers.map((s) => s.idle()));
    const rate = RECORDS / ((performance.now() - t0) / 1000);
    for (const s of shippers) s.close();
    let dropped = 0;
    if (stalled) {
      const text = await (await fetch(`${hub.url}/metrics`)).text();
      dropped = Number(/logwire_tail_dropped_records_total (\d+)/.exec(text)?.[1] ?? 0);
      stalled.close();
    }
    const fastReceived = fast?.records ?? 0;
    fast?.close();
    return { rate, dropped, fastReceived };
  } finally {
    await hub.stop();
  }
}

async function main(): Promise<void> {
  console.log(`slow_tail_consumer on ${machine()}: ${RECORDS} records/round, ${CONNECTIONS} connections, batches of ${BATCH}, ${ROUNDS} rounds per mode`);
  const drops: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    for (const mode of (i % 2 === 0 ? ['none', 'stalled'] : ['stalled', 'none']) as Array<'none' | 'stalled'>) {
      const r = await round(mode);
      rates[mode].push(r.rate);
      if (mode === 'stalled') drops.push(r.dropped);
      console.log(`  round ${i + 1} ${mode.padEnd(7)}: ${Math.round(r.rate)} rec/s acked${mode === 'stalled' ? `, stalled client dropped ${r.dropped}${FAST_TAIL ? `, fast client received ${r.fastReceived}` : ''}` : ''}`);
    }
  }
  const none = median(rates.none);
  const stalled = median(rates.stalled);
  const ratio = stalled / none;
  const pn = percentilesMs(hist.none);
  const ps = percentilesMs(hist.stalled);
  const summary = [
    `median acked ingest: none ${Math.round(none)} rec/s, one stalled tail ${Math.round(stalled)} rec/s (${((ratio - 1) * 100).toFixed(1)} %)`,
    `batch send→ack, none:    p50 ${pn.p50} ms, p99 ${pn.p99} ms, p99.9 ${pn.p999} ms, max ${pn.max} ms`,
    `batch send→ack, stalled: p50 ${ps.p50} ms, p99 ${ps.p99} ms, p99.9 ${ps.p999} ms, max ${ps.max} ms (closed loop: coordinated omission NOT included)`,
  ];
  for (const line of summary) console.log(line);
  const json = JSON.stringify({ bench: 'slow_tail_consumer', machine: machine(), records: RECORDS, connections: CONNECTIONS, batch: BATCH, rounds: ROUNDS, none_rps: Math.round(none), stalled_rps: Math.round(stalled), ratio: Number(ratio.toFixed(3)), stalled_dropped: drops, ack_none: pn, ack_stalled: ps, coordinated_omission: 'not included (closed loop)' });
  console.log(json);
  writeSection('slow-tail', `## Ingest with a stalled tail client (issue 3) — \`bench/e2e/slow_tail_consumer.ts\`

Hardware: ${machine()}. ${RECORDS.toLocaleString('en')} records per round over ${CONNECTIONS} shipper-protocol connections (batches of ${BATCH}), ${ROUNDS} rounds per mode, alternating; a fresh hub process per round. Target: acked ingest rate with one stalled tail within 5 % of the rate with none.

${summary.map((l) => `- ${l}`).join('\n')}

\`${json}\``);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
