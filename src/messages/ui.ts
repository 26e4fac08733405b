/**
 * Texts a device's settings pages show: buttons, confirmation dialogs, the device-code
 * instruction, page titles and field labels. The manual's own wording where it has one
 * (German from the German manual, English from DESIGN.md §1).
 */
import type { TextKey } from './localize.js';

/** The UI text keys: the `ui.` part of {@link TextKey}, which lists them (one public name for every text). */
export type UiTextKey = Extract<TextKey, `ui.${string}`>;

/** The UI texts of one language. */
export type UiCatalog = Readonly<Record<UiTextKey, string>>;

const en: UiCatalog = {
  'ui.button.getToken': 'Get Token',
  'ui.button.delete': 'Delete',
  'ui.button.connectionTest': 'Connection Test',
  'ui.button.ok': 'OK',
  'ui.button.cancel': 'Cancel',
  'ui.confirm.getToken':
    'Get a token? The sign-in page of the selected provider will appear. Sign in and follow the steps to obtain the token.',
  'ui.confirm.delete': 'Delete the token? Mail cannot be sent or received with OAuth 2.0 until a token is obtained again.',
  'ui.confirm.linkedPages': 'These settings share the token and are updated together: {pages}.',
  'ui.deviceCode.instruction': 'Go to {url} and enter the code {code}. The code expires in {minutes} minutes.',
  'ui.page.smtp.services': 'Network Settings → Services Setup (SMTP tab)',
  'ui.page.smtp.alert': 'E-mail Alert and Status → SMTP Setup',
  'ui.page.smtp.quick': 'Network Settings → Quick Settings',
  'ui.page.smtp.initialQuick': 'Initial Setup → Quick Network Settings',
  'ui.page.pop.emailStatus': 'E-mail Alert and Status → E-mail Status (Advanced tab)',
  'ui.page.pop.internetFax': 'Internet Fax',
  'ui.page.pop.emailPrint': 'E-mail Print',
  'ui.field.smtpServer': 'Primary Server',
  'ui.field.pop3Server': 'POP3 Server',
  'ui.field.port': 'Port Number',
  'ui.field.timeout': 'Timeout',
  'ui.field.checkInterval': 'Check Interval',
  'ui.field.senderName': 'Sender Name',
  'ui.field.senderAddress': 'Sender Address',
  'ui.field.enableSslTls': 'Enable SSL/TLS',
  'ui.field.authMethod': 'Authentication Method',
  'ui.field.provider': 'Provider',
  'ui.field.account': 'Account Name',
  'ui.field.tokenStatus': 'Token',
  'ui.authMethod.oauth2': 'OAuth 2.0',
  'ui.authMethod.plain': 'PLAIN',
  'ui.authMethod.login': 'LOGIN',
  'ui.authMethod.none': 'None',
  'ui.provider.microsoft365': 'Microsoft 365',
  'ui.provider.google': 'Google',
};

const de: UiCatalog = {
  'ui.button.getToken': 'Token abrufen',
  'ui.button.delete': 'Löschen',
  'ui.button.connectionTest': 'Verbindungstest',
  'ui.button.ok': 'OK',
  'ui.button.cancel': 'Abbrechen',
  'ui.confirm.getToken':
    'Token abrufen? Die Anmeldeseite des ausgewählten Anbieters wird angezeigt. Melden Sie sich an und folgen Sie den Anweisungen, um das Token zu erhalten.',
  'ui.confirm.delete':
    'Token löschen? Bis erneut ein Token abgerufen wird, können mit OAuth 2.0 keine E-Mails gesendet oder empfangen werden.',
  'ui.confirm.linkedPages': 'Diese Einstellungen nutzen das Token gemeinsam und werden zusammen aktualisiert: {pages}.',
  'ui.deviceCode.instruction': 'Rufen Sie {url} auf und geben Sie den Code {code} ein. Der Code läuft in {minutes} Minuten ab.',
  'ui.page.smtp.services': 'Einstellungen für Netzwerk → Dienste-Setup (Registerkarte SMTP)',
  'ui.page.smtp.alert': 'E-Mail-Alarm und Status → SMTP-Setup',
  'ui.page.smtp.quick': 'Einstellungen für Netzwerk → Schnelle Einstellungen',
  'ui.page.smtp.initialQuick': 'Urspr. Installationseinstellungen → Schnelleinstellungen Netzwerk',
  'ui.page.pop.emailStatus': 'E-Mail-Alarm und Status → Email-Status (Registerkarte Erweitert)',
  'ui.page.pop.internetFax': 'Internet-Fax',
  'ui.page.pop.emailPrint': 'E-Mail-Druck',
  'ui.field.smtpServer': 'Primärer Server',
  'ui.field.pop3Server': 'POP3-Server',
  'ui.field.port': 'Port-Nummer',
  'ui.field.timeout': 'Zeitüberschreitung',
  'ui.field.checkInterval': 'Prüfungsintervall',
  'ui.field.senderName': 'Absendername',
  'ui.field.senderAddress': 'Absendeadresse',
  'ui.field.enableSslTls': 'SSL/TLS aktivieren',
  'ui.field.authMethod': 'Authentifizierungsmethode',
  'ui.field.provider': 'Anbieter',
  'ui.field.account': 'Kontoname',
  'ui.field.tokenStatus': 'Token',
  'ui.authMethod.oauth2': 'OAuth 2.0',
  'ui.authMethod.plain': 'PLAIN',
  'ui.authMethod.login': 'LOGIN',
  'ui.authMethod.none': 'Keine',
  'ui.provider.microsoft365': 'Microsoft 365',
  'ui.provider.google': 'Google',
};

const ja: UiCatalog = {
  'ui.button.getToken': 'トークン取得',
  'ui.button.delete': '削除',
  'ui.button.connectionTest': '接続テスト',
  'ui.button.ok': 'OK',
  'ui.button.cancel': 'キャンセル',
  'ui.confirm.getToken':
    'トークンを取得しますか？選択したプロバイダーのサインインページが表示されます。サインインして手順に従い、トークンを取得してください。',
  'ui.confirm.delete': 'トークンを削除しますか？再度トークンを取得するまで、OAuth 2.0でメールを送受信できません。',
  'ui.confirm.linkedPages': '次の設定はトークンを共有しており、同時に更新されます：{pages}',
  'ui.deviceCode.instruction': '{url} にアクセスし、コード {code} を入力してください。コードの有効期限は {minutes} 分です。',
  'ui.page.smtp.services': 'ネットワーク設定 → サービス設定（SMTPタブ）',
  'ui.page.smtp.alert': 'Eメール警告とステータス → SMTP設定',
  'ui.page.smtp.quick': 'ネットワーク設定 → クイック設定',
  'ui.page.smtp.initialQuick': '初期設定 → ネットワーククイック設定',
  'ui.page.pop.emailStatus': 'Eメール警告とステータス → Eメールステータス（詳細タブ）',
  'ui.page.pop.internetFax': 'インターネットFAX',
  'ui.page.pop.emailPrint': 'Eメール印刷',
  'ui.field.smtpServer': 'プライマリーサーバー',
  'ui.field.pop3Server': 'POP3サーバー',
  'ui.field.port': 'ポート番号',
  'ui.field.timeout': 'タイムアウト',
  'ui.field.checkInterval': 'チェック間隔',
  'ui.field.senderName': '送信者名',
  'ui.field.senderAddress': '送信者アドレス',
  'ui.field.enableSslTls': 'SSL/TLSを有効にする',
  'ui.field.authMethod': '認証方式',
  'ui.field.provider': 'プロバイダー',
  'ui.field.account': 'アカウント名',
  'ui.field.tokenStatus': 'トークン',
  'ui.authMethod.oauth2': 'OAuth 2.0',
  'ui.authMethod.plain': 'PLAIN',
  'ui.authMethod.login': 'LOGIN',
  'ui.authMethod.none': 'なし',
  'ui.provider.microsoft365': 'Microsoft 365',
  'ui.provider.google': 'Google',
};

/** The built-in UI texts. @internal */
export const uiCatalogs: Readonly<Record<'en' | 'de' | 'ja', UiCatalog>> = { en, de, ja };
