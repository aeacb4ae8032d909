// A noisy neighbour: one program uploads a million codes, reads its reports in a loop and feeds 200
// webhooks, while another program's till validates codes one at a time. The till's p99 beside it,
// against its p99 alone, in the same run, on the same server process.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { systemClock } from '../src/clock.js';
import type { Storage } from '../src/config.js';
import { openStore } from '../src/db/open-store.js';
import { createProgram } from '../src/programs/create-program.js';
import { uploadToServer } from './upload.js';

export const NEIGHBOUR_SECONDS = Number(process.env.BENCH_NEIGHBOUR_SECONDS ?? 10);
const WEBHOOKS = 200;

export interface NeighbourResult {
  alone: { p50: number; p99: number; count: number };
  beside: { p50: number; p99: number; count: number };
  noise: string;
}

type Api = (key: string, method: string, pathName: string, body?: unknown) => Promise<any>;

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;

/** Dry runs of `codes`, one at a time, for NEIGHBOUR_SECONDS. */
async function till(url: string, key: string, codes: string[]) {
  const latencies: number[] = [];
  const stop = performance.now() + NEIGHBOUR_SECONDS * 1000;
  for (let i = 0; performance.now() < stop; i++) {
    const started = performance.now();
    const response = await fetch(`${url}/v1/voucher-validations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ code: codes[i % codes.length], dryRun: true }),
    });
    await response.arrayBuffer();
    latencies.push(performance.now() - started);
  }
  latencies.sort((a, b) => a - b);
  return { p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99), count: latencies.length };
}

/**
 * Runs against a server already listening at `url` on `storage` (with private webhook addresses
 * allowed): makes the two programs in the database, then measures.
 */
export async function benchNeighbours(url: string, storage: Storage, codesFile: string, api: Api): Promise<NeighbourResult> {
  const store = openStore({ storage, durability: 'strict', pgPoolSize: 1 });
  const [quiet, noisy] = await Promise.all(['Quiet program', 'Noisy program'].map((name) => store.write((trx) => createProgram(trx, systemClock, name))));
  await store.close();

  // The quiet program: a till and some live codes.
  const reward = await api(quiet!.adminKey, 'POST', '/v1/rewards', { name: 'Coffee', pricePoints: 0, codeType: 'ONE_TIME', incentives: [{ type: 'PERCENTAGE', value: 100 }] });
  const member = (await api(quiet!.adminKey, 'POST', '/v1/users', { externalId: 'quiet-1' })).id;
  const codes: string[] = [];
  for (let i = 0; i < 50; i++) codes.push((await api(quiet!.adminKey, 'POST', `/v1/users/${member}/purchases`, { rewardId: reward.id })).voucher.code);
  const pos = (await api(quiet!.adminKey, 'POST', '/v1/api-keys', { role: 'pos', name: 'till' })).key;

  const alone = await till(url, pos, codes);

  // The noisy program: 200 webhooks on a receiver that answers at once, purchases feeding them,
  // its reports read in a loop, and a million codes uploaded.
  const receiver = http.createServer((request, response) => {
    request.resume();
    request.on('end', () => response.end('ok'));
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  for (let i = 0; i < WEBHOOKS; i++) await api(noisy!.adminKey, 'POST', '/v1/webhooks', { url: `${hookUrl}/${i}`, eventTypes: ['PURCHASED_REWARD', 'POINTS_ADJUSTED'] });
  const pool = await api(noisy!.adminKey, 'POST', '/v1/rewards', { name: 'Partner codes', pricePoints: 1, codeType: 'POOL', incentives: [] });
  const buyer = (await api(noisy!.adminKey, 'POST', '/v1/users', { externalId: 'noisy-1' })).id;
  let running = true;
  let reads = 0;
  let credits = 0;
  const today = new Date().toISOString().slice(0, 10);
  const monthAgo = new Date(Date.now() - 29 * 86_400_000).toISOString().slice(0, 10);
  const reader = async () => {
    for (; running; reads++) await api(noisy!.adminKey, 'GET', `/v1/reports/activity?from=${monthAgo}&to=${today}`);
  };
  const crediting = async () => {
    for (; running; credits++) {
      await api(noisy!.adminKey, 'POST', `/v1/users/${buyer}/points`, { delta: 1, reason: 'noise' });
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  // BENCH_NOISE=upload, webhooks or reports makes only that noise, to tell which one costs the till.
  const only = process.env.BENCH_NOISE ?? 'all';
  const noise = [
    ...(only === 'all' || only === 'reports' ? [reader()] : []),
    ...(only === 'all' || only === 'webhooks' ? [crediting()] : []),
    ...(only === 'all' || only === 'upload' ? [uploadToServer(url, noisy!.adminKey, pool.id, codesFile).then(() => undefined)] : []),
  ];
  const beside = await till(url, pos, codes);
  running = false;
  await Promise.allSettled(noise);
  receiver.close();
  const upload = only === 'all' || only === 'upload' ? `, a ${Number(codesFile.match(/codes-(\d+)/)?.[1] ?? 0).toLocaleString('en-US')}-code upload` : '';
  return { alone, beside, noise: `${reads} report reads, ${credits} credits to ${WEBHOOKS} webhooks each${upload}` };
}
