/** Turns a submitted settings form into `page.configure()` input; units on the form are seconds and minutes. */
import type { Page, PageSettingsInput } from '../../../src/index.js';

function whole(value: string | undefined, factor: number): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  // Anything that is not a whole number goes to the SDK as NaN, which refuses it with a coded error.
  return /^\d{1,9}$/.test(value.trim()) ? Number(value.trim()) * factor : Number.NaN;
}

/** The settings in `form` for `page`; empty fields keep their current value, the password is only sent when typed. */
export function settingsFromForm(page: Page, form: URLSearchParams): PageSettingsInput {
  const input: Record<string, unknown> = {};
  const textField = (name: string): void => {
    const value = form.get(name);
    if (value !== null && value.trim() !== '') input[name] = value.trim();
  };
  textField('server');
  textField('security');
  textField('authMethod');
  textField('provider');
  textField('account');
  const port = whole(form.get('port') ?? undefined, 1);
  if (port !== undefined) input['port'] = port;
  const timeout = whole(form.get('timeout') ?? undefined, 1000);
  if (timeout !== undefined) input['timeout'] = timeout;
  if (page.protocol === 'smtp') {
    textField('senderName');
    textField('senderAddress');
  } else {
    const interval = whole(form.get('checkInterval') ?? undefined, 60_000);
    if (interval !== undefined) input['checkInterval'] = interval;
  }
  const password = form.get('password');
  if (password !== null && password !== '') input['password'] = password;
  return input;
}
