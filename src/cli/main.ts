/**
 * `mail-oauth`: sign in, check and use a mailbox's OAuth token from a shell, on the SDK's public
 * API and a file store. Commands and exit codes: `mail-oauth --help`.
 * @packageDocumentation
 */
import { main } from './run.js';

const controller = new AbortController();
process.once('SIGINT', () => controller.abort());
process.exitCode = await main(process.argv.slice(2), { signal: controller.signal });
