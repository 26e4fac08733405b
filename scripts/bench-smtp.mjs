// SMTP throughput and memory: mail-oauth (dist, pooled per page) against nodemailer pooled and
// unpooled, on the same local smtp-server (loopback, no TLS, no AUTH: what is measured is the
// client), interleaved round by round. Then the peak RSS of sending one 25 MB attachment, each
// client in a child process of its own. Run `npm run build` first.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { size, smoke } from './lib/bench-stats.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));

const rounds = smoke ? 1 : Number(process.env.BENCH_ROUNDS ?? 3);
const sender = 'scanner@example.test';
const { SMTPServer } = await import('smtp-server');
const nodemailer = (await import('nodemailer')).default;

if (process.argv[2] === '--rss-child') {
  await rssChild(process.argv[3], Number(process.argv[4]));
  process.exit(0);
}

const server = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS'],
  logger: false,
  size: 100 * 1024 * 1024,
  onData(stream, _session, callback) {
    stream.on('data', () => undefined);
    stream.on('end', () => callback());
  },
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const port = server.server.address().port;

const text1k = 'x'.repeat(1000);
const pdf3m = Buffer.alloc(size(3 * 1024 * 1024, 64 * 1024), 0x25);
const cases = {
  '500 × 1 KB': { count: size(500, 10), message: { to: 'alice@example.test', subject: 'Scan', text: text1k } },
  '20 × 3 MB': {
    count: size(20, 2),
    message: {
      to: 'alice@example.test',
      subject: 'Scan',
      text: 'x',
      attachments: [{ filename: 'scan.pdf', content: pdf3m, contentType: 'application/pdf' }],
    },
  },
};

const { createMailOAuth } = await import(`${root}dist/index.js`);
const device = await createMailOAuth({ providers: [], allowPlaintext: true });
await device
  .page('smtp.alert')
  .configure({ server: '127.0.0.1', port, security: 'none', timeout: 30_000, senderAddress: sender, authMethod: 'none' });
const pooled = nodemailer.createTransport({ host: '127.0.0.1', port, ignoreTLS: true, pool: true });
const unpooled = nodemailer.createTransport({ host: '127.0.0.1', port, ignoreTLS: true });

const asNodemailer = (m) => ({
  from: sender,
  to: m.to,
  subject: m.subject,
  text: m.text,
  ...(m.attachments
    ? { attachments: m.attachments.map((a) => ({ filename: a.filename, content: a.content, contentType: a.contentType })) }
    : {}),
});
const clients = {
  'mail-oauth (pooled)': (m) => device.page('smtp.alert').sendMail(m),
  'nodemailer pooled': (m) => pooled.sendMail(asNodemailer(m)),
  'nodemailer unpooled': (m) => unpooled.sendMail(asNodemailer(m)),
};

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`SMTP throughput, sequential sends, ${rounds} interleaved rounds, Node ${process.version}`);
for (const [name, { count, message }] of Object.entries(cases)) {
  const rates = Object.fromEntries(Object.keys(clients).map((c) => [c, []]));
  for (let round = 0; round < rounds; round++) {
    for (const [client, send] of Object.entries(clients)) {
      const started = performance.now();
      for (let i = 0; i < count; i++) await send(message);
      rates[client].push(count / ((performance.now() - started) / 1000));
    }
  }
  const reference = median(rates['nodemailer pooled']);
  console.log(`\n${name}`);
  console.log('| client | median msg/s | ratio to nodemailer pooled |\n|---|---:|---:|');
  for (const [client, values] of Object.entries(rates))
    console.log(`| ${client} | ${median(values).toFixed(1)} | ×${(median(values) / reference).toFixed(2)} |`);
}
await device.close();
pooled.close();
unpooled.close();

console.log('\nPeak RSS sending one 25 MB attachment (in-memory Buffer), one child process per client');
console.log('| client | RSS before send MB | peak RSS MB | growth MB |\n|---|---:|---:|---:|');
for (const client of ['mail-oauth', 'nodemailer']) {
  // Asynchronously: the server answering the child runs in this process.
  const run = await promisify(execFile)(process.execPath, [fileURLToPath(import.meta.url), '--rss-child', client, String(port)], {
    cwd: root,
    encoding: 'utf8',
  });
  const { before, peak } = JSON.parse(run.stdout.trim().split('\n').at(-1));
  console.log(`| ${client} | ${before.toFixed(1)} | ${peak.toFixed(1)} | ${(peak - before).toFixed(1)} |`);
}
await new Promise((resolve) => server.close(resolve));

async function rssChild(client, serverPort) {
  const mb = (bytes) => bytes / 1024 / 1024;
  let send;
  if (client === 'mail-oauth') {
    const { createMailOAuth: create } = await import(`${root}dist/index.js`);
    const d = await create({ providers: [], allowPlaintext: true });
    await d
      .page('smtp.alert')
      .configure({ server: '127.0.0.1', port: serverPort, security: 'none', timeout: 30_000, senderAddress: sender, authMethod: 'none' });
    await d.page('smtp.alert').sendMail({ to: 'a@example.test', subject: 'warm-up', text: 'x' });
    send = async (m) => {
      await d.page('smtp.alert').sendMail(m);
      await d.close();
    };
  } else {
    const t = nodemailer.createTransport({ host: '127.0.0.1', port: serverPort, ignoreTLS: true });
    await t.sendMail({ from: sender, to: 'a@example.test', subject: 'warm-up', text: 'x' });
    send = (m) => t.sendMail(asNodemailerChild(m));
  }
  const pdf = Buffer.alloc(size(25, 1) * 1024 * 1024, 0x25);
  // maxRSS is the process peak so far (kB): read the level before the send with the buffer allocated.
  const before = mb(process.memoryUsage().rss);
  await send({
    to: 'a@example.test',
    subject: 'Scan',
    text: 'x',
    attachments: [{ filename: 'scan.pdf', content: pdf, contentType: 'application/pdf' }],
  });
  const peak = (process.resourceUsage().maxRSS * 1024) / 1024 / 1024;
  console.log(JSON.stringify({ before, peak }));
}

function asNodemailerChild(m) {
  return { from: sender, to: m.to, subject: m.subject, text: m.text, attachments: m.attachments };
}
