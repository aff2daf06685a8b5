#!/usr/bin/env node
/**
 * `parley`: the client core from a shell, for scripts and operators. The session (uid, token, gate URL —
 * never the password) and the local messages live in a JSON file (--store, default ~/.parley/store.json).
 * The password comes from PARLEY_PASSWORD, never from the command line (it would show in `ps`).
 */
import { writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { FileRef, MessageView, TransferView } from '../client-api';
import { ParleyClient } from '../parley-client';
import { fileSource } from './file-source';
import { JsonFileStore } from './json-file-store';
import { tcpTransport } from './tcp-transport';

const USAGE = `usage: parley [--gate URL] [--store FILE] <command> …
  send-code <email> [register|reset]       mail a verification code
  register <email> <code> <name>           create an account (password: PARLEY_PASSWORD)
  login <name-or-email>                    log in (password: PARLEY_PASSWORD); saves the session
  conversations                            list conversations with unread counts
  send <conversationId> <text…>            send a text message (queued until the server acks it)
  tail <conversationId>                    print the conversation, then new messages as they come
  send-file <conversationId> <path> [mime] upload a file and send it, with a progress bar
  get-file <conversationId> <seq> [out]    download the file of a file/image message, with a progress bar
  logout                                   forget the session and the local data`;

function out(line: string): void {
  process.stdout.write(`${line}\n`);
}

function fail(message: string): never {
  process.stderr.write(`parley: ${message}\n`);
  process.exit(1);
}

function password(): string {
  const value = process.env.PARLEY_PASSWORD;
  if (!value) fail('set PARLEY_PASSWORD');
  return value;
}

function line(m: MessageView): string {
  const time = new Date(m.timeMs).toISOString().replace('T', ' ').slice(0, 19);
  const body = m.type === 'text' ? m.body : `[${m.type}] ${m.body}`;
  return `${m.seq ?? '…'}\t${time}\t${m.senderUid}\t${body}${m.delivery && m.delivery !== 'sent' ? ` (${m.delivery})` : ''}`;
}

function progressBar(view: TransferView): void {
  const width = 30;
  const ratio = view.total === 0 ? 1 : view.bytesDone / view.total;
  const bar = '#'.repeat(Math.round(ratio * width)).padEnd(width, '.');
  process.stderr.write(`\r${view.direction} ${view.name} [${bar}] ${(ratio * 100).toFixed(0)}% ${(view.bytesPerSec / 1024).toFixed(0)} KiB/s ${view.state === 'running' ? '' : view.state}${view.state === 'done' || view.state === 'failed' ? '\n' : ''}`);
}

/** Resolves when the outbox message is acked; rejects when it failed (a retryable error keeps it queued). */
function delivered(client: ParleyClient, clientMsgId: string): Promise<MessageView> {
  return new Promise((resolve, reject) => {
    client.on('messages', (e) => {
      const m = e.messages.find((x) => x.clientMsgId === clientMsgId);
      if (m?.delivery === 'sent') resolve(m);
      if (m?.delivery === 'failed') reject(Object.assign(new Error('the server refused the message'), { code: m.error }));
    });
  });
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { gate: { type: 'string' }, store: { type: 'string' }, help: { type: 'boolean' } },
  });
  const [command, ...args] = positionals;
  if (values.help || !command) {
    out(USAGE);
    return;
  }
  const store = await JsonFileStore.open(values.store ?? join(homedir(), '.parley', 'store.json'));
  const gateUrl = values.gate ?? (await store.loadSession())?.gateUrl ?? process.env.PARLEY_GATE ?? 'http://127.0.0.1:8080';
  const client = new ParleyClient({ gateUrl, store, transport: tcpTransport });
  client.on('error', (e) => process.stderr.write(`parley: ${e.code}: ${e.message}\n`));
  const online = async () => {
    if (!(await client.resume())) fail('not logged in: parley login <name>');
    await client.whenOnline();
  };
  try {
    switch (command) {
      case 'send-code':
        await client.sendCode(args[0] ?? fail('send-code <email>'), args[1] === 'reset' ? 'reset' : 'register');
        out('code sent');
        return;
      case 'register': {
        const [email, code, name] = args;
        if (!email || !code || !name) fail('register <email> <code> <name>');
        await client.register({ email, code, name, password: password() });
        out(`registered ${name}`);
        return;
      }
      case 'login': {
        const me = await client.login(args[0] ?? fail('login <name-or-email>'), password());
        out(`logged in as ${me.name || me.uid} (uid ${me.uid})`);
        return;
      }
      case 'conversations':
        await online();
        await new Promise((r) => setTimeout(r, 200));
        for (const c of client.conversations()) out(`${c.conversationId}\t${c.kind}\t${c.unread} unread\t${c.title}`);
        return;
      case 'send': {
        const conversationId = Number(args[0]);
        const text = args.slice(1).join(' ');
        if (!Number.isSafeInteger(conversationId) || !text) fail('send <conversationId> <text…>');
        await online();
        const m = await delivered(client, client.sendText(conversationId, text));
        out(`sent: seq ${m.seq}`);
        return;
      }
      case 'tail': {
        const conversationId = Number(args[0]);
        if (!Number.isSafeInteger(conversationId)) fail('tail <conversationId>');
        await online();
        const shown = new Set<string>();
        for (const m of (await client.history(conversationId)).messages) {
          shown.add(m.clientMsgId);
          out(line(m));
        }
        client.on('messages', (e) => {
          if (e.conversationId !== conversationId) return;
          for (const m of e.messages) {
            if (m.seq === undefined || shown.has(m.clientMsgId)) continue;
            shown.add(m.clientMsgId);
            out(line(m));
          }
        });
        await new Promise<never>(() => undefined);
        return;
      }
      case 'send-file': {
        const conversationId = Number(args[0]);
        if (!Number.isSafeInteger(conversationId) || !args[1]) fail('send-file <conversationId> <path> [mime]');
        await online();
        const source = await fileSource(args[1], args[2]);
        client.on('transfer', progressBar);
        try {
          const ref = await client.uploadFile(source);
          const m = await delivered(client, client.sendFileMessage(conversationId, ref));
          out(`sent file ${ref.fileId}: seq ${m.seq}`);
        } finally {
          await source.close();
        }
        return;
      }
      case 'get-file': {
        const conversationId = Number(args[0]);
        const seq = Number(args[1]);
        if (!Number.isSafeInteger(conversationId) || !Number.isSafeInteger(seq)) fail('get-file <conversationId> <seq> [out]');
        await online();
        const m = (await client.history(conversationId, seq + 1, 1)).messages.find((x) => x.seq === seq);
        if (!m || (m.type !== 'file' && m.type !== 'image')) fail(`message ${seq} is not a file`);
        const ref = JSON.parse(m.body) as FileRef & { fileId: number };
        client.on('transfer', progressBar);
        const bytes = await client.download({ ...ref, fileId: String(ref.fileId) });
        await writeFile(args[2] ?? ref.name, bytes);
        out(`saved ${args[2] ?? ref.name} (${bytes.length} bytes, sha256 checked)`);
        return;
      }
      case 'logout':
        await client.logout();
        out('logged out');
        return;
      default:
        fail(`unknown command ${command}\n${USAGE}`);
    }
  } finally {
    if (command !== 'logout') await client.close();
    await store.flush();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => fail(`${(err as { code?: string }).code ?? 'ERROR'}: ${(err as { message?: string }).message ?? String(err)}`),
);
