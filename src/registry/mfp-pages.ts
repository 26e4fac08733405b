import type { LinkGroup, PageTopology, TypedPageDefinition } from './topology.js';

/**
 * The {@link mfpPages} topology, with its page ids and protocols as literal types.
 * @category Device
 */
export interface MfpTopology extends PageTopology {
  /** The manual's pages, in its order. */
  readonly pages: readonly [
    TypedPageDefinition<'smtp.services', 'smtp'>,
    TypedPageDefinition<'smtp.alert', 'smtp'>,
    TypedPageDefinition<'smtp.quick', 'smtp'>,
    TypedPageDefinition<'smtp.initialQuick', 'smtp'>,
    TypedPageDefinition<'pop.emailStatus', 'pop3'>,
    TypedPageDefinition<'pop.internetFax', 'pop3'>,
    TypedPageDefinition<'pop.emailPrint', 'pop3'>,
  ];
  /** One group: the Services Setup, Quick Settings and Initial Setup SMTP pages (scope `smtp.main`). */
  readonly links: readonly LinkGroup[];
}

/**
 * Page ids of the {@link mfpPages} preset.
 * @category Device
 */
export type MfpPageId = MfpTopology['pages'][number]['id'];

/**
 * The multifunction printer's settings pages as its manual describes them: the Services Setup
 * SMTP tab, Quick Settings and Initial Setup's Quick Network Settings share one token; the
 * e-mail alert SMTP page and each POP page have their own.
 *
 * @example
 * ```ts
 * const device = await createMailOAuth({ providers, pages: mfpPages() });
 * await device.page('smtp.quick').configure({ authMethod: 'oauth2', provider: 'microsoft365', account });
 * ```
 * @category Device
 */
export function mfpPages(): MfpTopology {
  // Literal ids and protocols (MfpTopology) type `device.page('pop.emailStatus')` as a Pop3Page.
  return {
    pages: [
      { id: 'smtp.services', protocol: 'smtp', label: 'Network Settings → Services Setup (SMTP)' },
      { id: 'smtp.alert', protocol: 'smtp', label: 'E-mail Alert and Status → SMTP Setup' },
      { id: 'smtp.quick', protocol: 'smtp', label: 'Network Settings → Quick Settings' },
      { id: 'smtp.initialQuick', protocol: 'smtp', label: 'Initial Setup → Quick Network Settings' },
      { id: 'pop.emailStatus', protocol: 'pop3', label: 'E-mail Alert and Status → E-mail Status (Advanced)' },
      { id: 'pop.internetFax', protocol: 'pop3', label: 'Internet Fax → POP3 Server' },
      { id: 'pop.emailPrint', protocol: 'pop3', label: 'E-mail Print → POP3 Server' },
    ],
    links: [{ id: 'smtp.main', pages: ['smtp.services', 'smtp.quick', 'smtp.initialQuick'] }],
  };
}
