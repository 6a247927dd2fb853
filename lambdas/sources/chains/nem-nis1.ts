import { ChainDataError, decodeNemTransfer } from '../../domain/chain';
import type { NemChainConfig } from '../../domain/config';
import { errorMessage } from '../../domain/log';
import {
  ChainUnavailableError,
  type ChainReader,
  type NodeHealth,
  type TransferDirection,
  type TransferPage,
} from './chain-reader';

/**
 * NEM NIS1 REST (test/fixtures/nem/README.md): GET /heartbeat, /chain/height,
 * /account/get, /account/transfers/{incoming,outgoing}. Every poll health-checks all nodes;
 * a node that is down, answers an error or lags more than `maxLagBlocks` behind the best one is
 * left out, and a node that fails mid-poll is dropped for the rest of the poll (the next one
 * takes over). Preference rotates to the node that last worked.
 */

const TIMEOUT_MS = 10_000;

type Json = Record<string, unknown>;

export interface NemReaderOptions {
  config: Pick<NemChainConfig, 'nodes' | 'network' | 'maxLagBlocks' | 'pageSize' | 'maxPages'>;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export class NemNis1Reader implements ChainReader {
  readonly chain = 'nem' as const;
  requests = 0;
  /** Nodes usable this poll, preferred first. */
  private usable: string[] = [];
  private preferred: string | undefined;

  constructor(private readonly opts: NemReaderOptions) {}

  private get nodes(): string[] {
    return this.opts.config.nodes.map((u) => u.replace(/\/+$/, ''));
  }

  private async get(node: string, path: string): Promise<Json> {
    this.requests++;
    const doFetch = this.opts.fetch ?? fetch;
    const res = await doFetch(`${node}${path}`, {
      signal: AbortSignal.timeout(this.opts.timeoutMs ?? TIMEOUT_MS),
      headers: { accept: 'application/json' },
    });
    const text = await res.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new Error(`${node}${path}: HTTP ${res.status}, not JSON: ${text.slice(0, 120)}`);
    }
    if (!res.ok || !body || typeof body !== 'object') {
      // NIS errors: {"timeStamp":…,"error":"Bad Request","message":"address must be valid","status":400}
      const b = (body ?? {}) as Json;
      throw new Error(
        `${node}${path}: HTTP ${res.status} ${String(b.error ?? '')} ${String(b.message ?? '')}`.trim(),
      );
    }
    return body as Json;
  }

  async checkNodes(): Promise<NodeHealth[]> {
    const checks = await Promise.all(
      this.nodes.map(async (url): Promise<NodeHealth> => {
        try {
          const beat = await this.get(url, '/heartbeat');
          if (beat.code !== 1) return { url, ok: false, problem: `heartbeat says ${JSON.stringify(beat)}` };
          const height = (await this.get(url, '/chain/height')).height;
          if (typeof height !== 'number') return { url, ok: false, problem: '/chain/height has no height' };
          return { url, ok: true, height };
        } catch (err) {
          return { url, ok: false, problem: errorMessage(err) };
        }
      }),
    );
    const best = Math.max(0, ...checks.map((c) => c.height ?? 0));
    for (const c of checks)
      if (c.ok && c.height !== undefined && best - c.height > this.opts.config.maxLagBlocks) {
        c.ok = false;
        c.problem = `lagging: height ${c.height}, best node ${best}`;
      }
    const ok = checks.filter((c) => c.ok).map((c) => c.url);
    this.usable =
      this.preferred && ok.includes(this.preferred)
        ? [this.preferred, ...ok.filter((u) => u !== this.preferred)]
        : ok;
    return checks;
  }

  /** Run `work` on the preferred usable node; on failure drop that node for this poll and try the next. */
  private async onSomeNode<T>(what: string, work: (node: string) => Promise<T>): Promise<T> {
    if (!this.usable.length) await this.checkNodes();
    const failures: string[] = [];
    while (this.usable.length) {
      const node = this.usable[0] as string;
      try {
        const out = await work(node);
        this.preferred = node;
        return out;
      } catch (err) {
        if (err instanceof ChainDataError) throw err;
        failures.push(errorMessage(err));
        // By name, not shift(): concurrent reads may already have dropped it.
        this.usable = this.usable.filter((u) => u !== node);
      }
    }
    throw new ChainUnavailableError(`no NEM node could ${what}: ${failures.join('; ') || 'none is healthy'}`);
  }

  async balance(address: string): Promise<number> {
    return this.onSomeNode(`read ${address}`, async (node) => {
      const body = await this.get(node, `/account/get?address=${encodeURIComponent(address)}`);
      const balance = (body.account as Json | undefined)?.balance;
      if (typeof balance !== 'number')
        throw new ChainDataError(`${node}: /account/get ${address} has no balance`);
      return balance;
    });
  }

  /**
   * Newest first, page by page (`id` = the last item's meta.id), until a known hash, a short page
   * or maxPages. meta.id is the node's own database id: paging restarts from the top when another
   * node takes over; only hashes are compared across nodes and polls.
   */
  async newTransfers(
    address: string,
    direction: TransferDirection,
    isKnown: (hash: string) => boolean,
  ): Promise<TransferPage> {
    const { pageSize, maxPages, network } = this.opts.config;
    return this.onSomeNode(`list ${direction} transfers of ${address}`, async (node) => {
      const out: TransferPage = { transfers: [], seenHashes: [], problems: [], pages: 0, node };
      let id: number | undefined;
      while (out.pages < maxPages) {
        const query = `address=${encodeURIComponent(address)}&pageSize=${pageSize}${id !== undefined ? `&id=${id}` : ''}`;
        const body = await this.get(node, `/account/transfers/${direction}?${query}`);
        out.pages++;
        const items = Array.isArray(body.data) ? (body.data as unknown[]) : [];
        for (const [i, item] of items.entries()) {
          const meta = ((item as Json | null)?.meta ?? {}) as Json;
          const hashes = [meta.hash, meta.innerHash]
            .map((h) => (h && typeof h === 'object' ? (h as Json).data : undefined))
            .filter((h): h is string => typeof h === 'string' && h.length > 0)
            .map((h) => h.toLowerCase());
          if (hashes.some(isKnown)) return out;
          const seen = hashes[hashes.length - 1];
          if (seen) out.seenHashes.push(seen);
          try {
            const t = decodeNemTransfer(item, network, direction === 'outgoing' ? address : undefined);
            if (t) out.transfers.push(t);
          } catch (err) {
            out.problems.push(
              `${node} ${direction} ${address} item ${out.pages}.${i + 1}: ${errorMessage(err)}`,
            );
          }
          if (typeof meta.id === 'number') id = meta.id;
        }
        // NIS clamps pageSize to 5..100: a page shorter than asked is the last one.
        if (items.length < Math.min(Math.max(pageSize, 5), 100) || id === undefined) return out;
      }
      return out;
    });
  }
}
