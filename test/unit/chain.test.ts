import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  nemAddressFromPublicKey,
  nemAddressProblem,
  normalizeNemAddress,
} from '../../lambdas/domain/chain-address';
import { ChainDataError, decodeNemTransfer, nemTimeToMs, transferAmounts } from '../../lambdas/domain/chain';

const FIXTURES = join(__dirname, '..', 'fixtures', 'nem');
const read = (name: string) =>
  JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as Record<string, unknown>;

describe('NEM addresses', () => {
  const vectors = read('address-vectors.json') as unknown as {
    publicKey: string;
    address_Public: string;
    address_PublicTest: string;
  }[];

  it.each(vectors.map((v) => [v.publicKey.slice(0, 8), v]))(
    'public key %s… gives the published mainnet and testnet addresses',
    (_k, v) => {
      expect(nemAddressFromPublicKey(v.publicKey, 'mainnet')).toBe(v.address_Public);
      expect(nemAddressFromPublicKey(v.publicKey.toLowerCase(), 'testnet')).toBe(v.address_PublicTest);
      expect(nemAddressProblem(v.address_Public, 'mainnet')).toBeUndefined();
      expect(nemAddressProblem(v.address_PublicTest, 'testnet')).toBeUndefined();
    },
  );

  it('the recorded /account/get sample: its public key derives its address', () => {
    const account = read('account_get.mainnet.json').account as { address: string; publicKey: string };
    expect(nemAddressFromPublicKey(account.publicKey)).toBe(account.address);
  });

  it('the incident addresses are valid mainnet addresses', () => {
    expect(nemAddressProblem('NC3BI3DNMR2PGEOOMP2NKXQGSAKMS7GYRKVA5CSZ')).toBeUndefined();
    expect(nemAddressProblem('nc4c6p-suw5cl-tdt5sx-agjdqj-gznesk-fk5mcn-77og')).toBeUndefined();
    expect(normalizeNemAddress('nc4c6p-suw5cl')).toBe('NC4C6PSUW5CL');
  });

  it('a one-character typo is a bad checksum; a testnet address is not mainnet; junk is named', () => {
    expect(nemAddressProblem('NC3BI3DNMR2PGEOOMP2NKXQGSAKMS7GYRKVA5CSA')).toMatch(/checksum/);
    expect(nemAddressProblem('TDD2CT6LQLIYQ56KIXI3ENTM6EK3D44P5KZPFMK2')).toMatch(/not a mainnet address/);
    expect(nemAddressProblem('hello')).toMatch(/40 base32/);
  });
});

describe('decoding NIS1 transfers', () => {
  it('NEM epoch: 2018-01-26 00:00 JST is 89304815', () => {
    expect(new Date(nemTimeToMs(89304815)).toISOString()).toBe('2018-01-25T15:00:00.000Z');
  });

  it('a recorded mainnet incoming transfer: micro-XEM, sender derived from the signer key, hash', () => {
    const item = (read('account_transfers_incoming.mainnet.json').data as unknown[])[0];
    const t = decodeNemTransfer(item);
    expect(t).toMatchObject({
      hash: '08f3fcb032d926c3898816b80cd8fba89e31900c1e5dbd2accac1c6fe8538d40',
      height: 2486931,
      to: 'NAX3EP4EKUMLH4T3N7GJSTQDG2AMUK5T26P5EA2M',
      microXem: 28977948,
      from: nemAddressFromPublicKey('37f6ceb6093444db492530a2c529c5c16127209681c8af56239a4882cd3da273'),
    });
    expect(t?.at).toBe(nemTimeToMs(150510974));
  });

  it('the recorded multisig wrapper with a mosaic: inner hash, the multisig account as sender, 1 × 3,000,000 = 3 XEM', () => {
    const t = decodeNemTransfer(read('transaction_multisig_transfer_mosaics.testnet.json'), 'testnet');
    expect(t).toMatchObject({
      hash: '1d885b297f67f90b3a13f8b0ae6175e6c0ab6587d50284f37b68da2ff2d95310',
      to: 'TBUTWOAPNAM543YRECRGZPEMTF7SXMWAKIW26EIO',
      from: nemAddressFromPublicKey(
        'e310655ea1173df2c22e775853e86ceeaebf2660f94021116463d693415febe1',
        'testnet',
      ),
      microXem: 3_000_000,
      multisig: true,
    });
  });

  it('mosaic multiplier: amount 1,000,000 × nem:xem 2,000,000,000 = 2,000 XEM; amount 0 moves nothing; others kept apart', () => {
    const xem = { namespaceId: 'nem', name: 'xem' };
    expect(
      transferAmounts({ amount: 1_000_000, mosaics: [{ quantity: 2_000_000_000, mosaicId: xem }] }),
    ).toEqual({
      microXem: 2_000_000_000,
    });
    expect(transferAmounts({ amount: 0, mosaics: [{ quantity: 5, mosaicId: xem }] })).toEqual({
      microXem: 0,
    });
    expect(
      transferAmounts({
        amount: 2_500_000,
        mosaics: [{ quantity: 4, mosaicId: { namespaceId: 'mizunashi.tag', name: 'hacker' } }],
      }),
    ).toEqual({ microXem: 0, otherMosaics: { 'mizunashi.tag:hacker': 10 } });
    // No mosaics: amount is plain micro-XEM.
    expect(transferAmounts({ amount: 850000 })).toEqual({ microXem: 850000 });
  });

  it('a transaction that moves no money is skipped; a broken one is a named error', () => {
    const item = structuredClone((read('account_transfers_incoming.mainnet.json').data as unknown[])[0]) as {
      transaction: Record<string, unknown>;
    };
    item.transaction.type = 2049;
    expect(decodeNemTransfer(item)).toBeUndefined();
    expect(() => decodeNemTransfer({ meta: { hash: { data: 'ab' } }, transaction: { type: 257 } })).toThrow(
      ChainDataError,
    );
  });
});
