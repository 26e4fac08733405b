import { describe, expect, it } from 'vitest';
import { createMailOAuth, mfpPages, TopologyError } from '../../src/index.js';
import { createRegistry, type PageTopology } from '../../src/registry/topology.js';

describe('page topology', () => {
  it('the preset links the three SMTP pages and keeps the others apart', () => {
    const registry = createRegistry(mfpPages());
    expect([...registry.scopes.values()].map((s) => [s.id, s.pages])).toEqual([
      ['smtp.main', ['smtp.services', 'smtp.quick', 'smtp.initialQuick']],
      ['smtp.alert', ['smtp.alert']],
      ['pop.emailStatus', ['pop.emailStatus']],
      ['pop.internetFax', ['pop.internetFax']],
      ['pop.emailPrint', ['pop.emailPrint']],
    ]);
  });

  const bad: Array<[string, PageTopology, string]> = [
    [
      'duplicate page ids',
      {
        pages: [
          { id: 'a', protocol: 'smtp' },
          { id: 'a', protocol: 'smtp' },
        ],
      },
      'ERR_TOPOLOGY_DUPLICATE_PAGE',
    ],
    [
      'a page in two groups',
      {
        pages: [
          { id: 'a', protocol: 'smtp' },
          { id: 'b', protocol: 'smtp' },
          { id: 'c', protocol: 'smtp' },
        ],
        links: [{ pages: ['a', 'b'] }, { pages: ['b', 'c'] }],
      },
      'ERR_TOPOLOGY_PAGE_IN_TWO_GROUPS',
    ],
    ['an unknown page in a group', { pages: [{ id: 'a', protocol: 'smtp' }], links: [{ pages: ['a', 'z'] }] }, 'ERR_TOPOLOGY_UNKNOWN_PAGE'],
    [
      'SMTP and POP in one group',
      {
        pages: [
          { id: 'a', protocol: 'smtp' },
          { id: 'b', protocol: 'pop3' },
        ],
        links: [{ pages: ['a', 'b'] }],
      },
      'ERR_TOPOLOGY_MIXED_PROTOCOLS',
    ],
    ['no pages', { pages: [] }, 'ERR_TOPOLOGY_EMPTY'],
    [
      'a group id that is another page',
      {
        pages: [
          { id: 'a', protocol: 'smtp' },
          { id: 'b', protocol: 'smtp' },
          { id: 'c', protocol: 'smtp' },
        ],
        links: [{ id: 'c', pages: ['a', 'b'] }],
      },
      'ERR_TOPOLOGY_DUPLICATE_PAGE',
    ],
  ];

  it.each(bad)('rejects %s at creation', async (_name, topology, code) => {
    expect(() => createRegistry(topology)).toThrow(TopologyError);
    await expect(createMailOAuth({ providers: [], pages: topology })).rejects.toMatchObject({ code });
  });

  it('an integrator can declare its own topology; unknown page ids are a coded error', async () => {
    const device = await createMailOAuth({
      providers: [],
      pages: {
        pages: [
          { id: 'scan', protocol: 'smtp' },
          { id: 'fax', protocol: 'smtp' },
          { id: 'print', protocol: 'imap' },
        ],
        links: [{ id: 'mail', pages: ['scan', 'fax'] }],
      },
    });
    expect(device.page('scan').scopeId).toBe('mail');
    expect(device.page('fax').scopeId).toBe('mail');
    expect(device.page('print').scopeId).toBe('print');
    expect(() => device.page('smtp.services')).toThrow(expect.objectContaining({ code: 'ERR_UNKNOWN_PAGE' }));
    await device.close();
  });
});
