import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { ChatMessage } from '@parley/protocol/codec';
import type { LocalStore, OutboxEntry, SavedSession } from '../store/local-store';
import { MemoryStore, type MemorySnapshot } from '../store/memory-store';

/**
 * LocalStore in one JSON file (Electron's main process, the CLI): a MemoryStore written out whole after
 * changes, through a temporary file and a rename so a crash never leaves half a file. Writes are
 * chained and coalesced, so the file always ends with the latest state. Meant for one user's data on
 * one device (the whole file is rewritten: fine for thousands of messages, not for millions).
 */
export class JsonFileStore extends MemoryStore implements LocalStore {
  private writing: Promise<void> = Promise.resolve();
  private queued = false;

  private constructor(private readonly path: string) {
    super();
  }

  static async open(path: string): Promise<JsonFileStore> {
    const store = new JsonFileStore(path);
    let text: string | undefined;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (text !== undefined) store.restore(JSON.parse(text) as MemorySnapshot);
    return store;
  }

  /** Resolves once everything written so far is on disk. */
  flush(): Promise<void> {
    return this.writing;
  }

  private persist(): Promise<void> {
    // A write not started yet takes its snapshot when it starts, so it carries this change too:
    // bursts of changes (a pull page, its position, its conversation) cost one write.
    if (this.queued) return this.writing;
    this.queued = true;
    this.writing = this.writing.then(async () => {
      this.queued = false;
      const snapshot = JSON.stringify(this.snapshot());
      // The file holds a login token: a directory made here is the user's alone (0700), like the file (0600).
      await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
      const tmp = `${this.path}.tmp`;
      await writeFile(tmp, snapshot, { mode: 0o600 });
      await rename(tmp, this.path);
    });
    return this.writing;
  }

  override async saveSession(session: SavedSession | undefined): Promise<void> {
    await super.saveSession(session);
    await this.persist();
  }

  override async putConversation(conversation: Parameters<MemoryStore['putConversation']>[0]): Promise<void> {
    await super.putConversation(conversation);
    await this.persist();
  }

  override async putPosition(conversationId: number, seq: number): Promise<void> {
    await super.putPosition(conversationId, seq);
    await this.persist();
  }

  override async putMessages(messages: ChatMessage[]): Promise<void> {
    await super.putMessages(messages);
    await this.persist();
  }

  override async putOutbox(entry: OutboxEntry): Promise<void> {
    await super.putOutbox(entry);
    await this.persist();
  }

  override async deleteOutbox(clientMsgId: string): Promise<void> {
    await super.deleteOutbox(clientMsgId);
    await this.persist();
  }

  override async clear(): Promise<void> {
    await super.clear();
    await this.persist();
  }
}
