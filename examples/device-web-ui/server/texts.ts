/**
 * Texts of the demo's own screens (login, buttons the manual does not name) in en, de and ja.
 * Statuses, errors, the manual's buttons, dialogs and field labels come from the SDK
 * (`device.localize`), so a device shows the manual's wording.
 */
const en = {
  title: 'Device Web Image Monitor',
  loginTitle: 'Administrator Login',
  password: 'Password',
  login: 'Login',
  logout: 'Logout',
  wrongPassword: 'The password is incorrect.',
  language: 'Language',
  save: 'Apply',
  saved: 'The settings were applied.',
  tlsImplicit: 'On (SSL/TLS)',
  tlsStarttls: 'On (STARTTLS)',
  tlsOff: 'Off',
  seconds: 'seconds',
  minutes: 'minutes',
  signInMethod: 'Sign-in Method',
  flowRedirect: 'Sign in with this browser',
  flowDeviceCode: 'Enter a code on another device',
  timeLeft: 'Time left: {time}',
  pasteHint: 'If the sign-in page ended on an address this browser could not open, paste that address here:',
  complete: 'Complete Sign-in',
  signedIn: 'Signed in. Returning to the settings page…',
  signInFailed: 'Sign-in failed: {message}',
  back: 'Back to the settings page',
  sendTestScan: 'Send a test scan',
  recipient: 'Recipient',
  testScanSent: 'The test scan was sent to {to}.',
  checkMailbox: 'Check mailbox',
  noMessages: 'The mailbox is empty.',
  messages: '{count} message(s) in the mailbox:',
  linked: 'Linked pages: {pages}',
  independent: 'This page has its own token.',
  pop3Pages: 'POP settings',
  smtpPages: 'SMTP settings',
  notAllowed: 'The request was refused.',
};

type DemoTexts = Readonly<Record<keyof typeof en, string>>;

const de: DemoTexts = {
  title: 'Web Image Monitor des Geräts',
  loginTitle: 'Administrator-Anmeldung',
  password: 'Passwort',
  login: 'Anmelden',
  logout: 'Abmelden',
  wrongPassword: 'Das Passwort ist falsch.',
  language: 'Sprache',
  save: 'Übernehmen',
  saved: 'Die Einstellungen wurden übernommen.',
  tlsImplicit: 'Ein (SSL/TLS)',
  tlsStarttls: 'Ein (STARTTLS)',
  tlsOff: 'Aus',
  seconds: 'Sekunden',
  minutes: 'Minuten',
  signInMethod: 'Anmeldeverfahren',
  flowRedirect: 'Mit diesem Browser anmelden',
  flowDeviceCode: 'Code auf einem anderen Gerät eingeben',
  timeLeft: 'Verbleibende Zeit: {time}',
  pasteHint: 'Endete die Anmeldung auf einer Adresse, die dieser Browser nicht öffnen konnte, fügen Sie diese Adresse hier ein:',
  complete: 'Anmeldung abschließen',
  signedIn: 'Angemeldet. Zurück zur Einstellungsseite …',
  signInFailed: 'Anmeldung fehlgeschlagen: {message}',
  back: 'Zurück zur Einstellungsseite',
  sendTestScan: 'Test-Scan senden',
  recipient: 'Empfänger',
  testScanSent: 'Der Test-Scan wurde an {to} gesendet.',
  checkMailbox: 'Postfach prüfen',
  noMessages: 'Das Postfach ist leer.',
  messages: '{count} Nachricht(en) im Postfach:',
  linked: 'Verknüpfte Seiten: {pages}',
  independent: 'Diese Seite hat ein eigenes Token.',
  pop3Pages: 'POP-Einstellungen',
  smtpPages: 'SMTP-Einstellungen',
  notAllowed: 'Die Anfrage wurde abgelehnt.',
};

const ja: DemoTexts = {
  title: 'デバイス Web Image Monitor',
  loginTitle: '管理者ログイン',
  password: 'パスワード',
  login: 'ログイン',
  logout: 'ログアウト',
  wrongPassword: 'パスワードが正しくありません。',
  language: '言語',
  save: '設定',
  saved: '設定を反映しました。',
  tlsImplicit: '有効 (SSL/TLS)',
  tlsStarttls: '有効 (STARTTLS)',
  tlsOff: '無効',
  seconds: '秒',
  minutes: '分',
  signInMethod: 'サインイン方法',
  flowRedirect: 'このブラウザーでサインイン',
  flowDeviceCode: '別の端末でコードを入力',
  timeLeft: '残り時間: {time}',
  pasteHint: 'サインイン後にこのブラウザーで開けなかったアドレスが表示された場合は、そのアドレスをここに貼り付けてください:',
  complete: 'サインインを完了',
  signedIn: 'サインインしました。設定画面に戻ります…',
  signInFailed: 'サインインに失敗しました: {message}',
  back: '設定画面に戻る',
  sendTestScan: 'テストスキャンを送信',
  recipient: '宛先',
  testScanSent: 'テストスキャンを {to} に送信しました。',
  checkMailbox: 'メールボックスを確認',
  noMessages: 'メールボックスは空です。',
  messages: 'メールボックスに {count} 件のメッセージ:',
  linked: '連動するページ: {pages}',
  independent: 'このページは独自のトークンを使用します。',
  pop3Pages: 'POP 設定',
  smtpPages: 'SMTP 設定',
  notAllowed: 'リクエストは拒否されました。',
};

/** A key of the demo's own texts. */
export type DemoTextKey = keyof typeof en;

const catalogs: Readonly<Record<string, DemoTexts>> = { en, de, ja };

/** The languages of the language switch. */
export const DEMO_LOCALES = ['en', 'de', 'ja'] as const;

/** A demo text in `locale` (English when unknown), `{name}` replaced by `params.name`. */
export function demoText(key: DemoTextKey, locale: string, params: Readonly<Record<string, string>> = {}): string {
  const text = (catalogs[locale] ?? en)[key];
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => params[name] ?? whole);
}
