import type { PageTopology } from './topology.js';

/** Page ids of the {@link mfpPages} preset. */
export type MfpPageId =
  | 'smtp.services'
  | 'smtp.alert'
  | 'smtp.quick'
  | 'smtp.initialQuick'
  | 'pop.emailStatus'
  | 'pop.internetFax'
  | 'pop.emailPrint';

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
 */
export function mfpPages(): PageTopology {
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
