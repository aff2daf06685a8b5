import type { ChatMessage } from '@parley/protocol/codec';
import type { LocalStore, OutboxEntry, SavedSession, StoredConversation } from './local-store';

const VERSION = 1;
const STORES = ['kv', 'conversations', 'positions', 'messages', 'outbox'] as const;
type StoreName = (typeof STORES)[number];

/** A request's result as a promise. */
function done<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error('IndexedDB request failed'));
  });
}

/** Resolves when the transaction has committed (only then is a write durable). */
function committed(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error ?? new Error('IndexedDB transaction failed'));
    tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
  });
}

/**
 * LocalStore on the standard IndexedDB API (the browser and Electron's renderer). One database per
 * name; messages are keyed [conversationId, seq], so a page of history is one reverse cursor.
 */
export class IndexedDbStore implements LocalStore {
  private constructor(private readonly db: IDBDatabase) {}

  static async open(name = 'parley', factory: IDBFactory = indexedDB): Promise<IndexedDbStore> {
    const request = factory.open(name, VERSION);
    request.onupgradeneeded = () => {
      const db = request.result;
      if (!db.objectStoreNames.contains('kv')) db.createObjectStore('kv');
      if (!db.objectStoreNames.contains('conversations')) db.createObjectStore('conversations', { keyPath: 'conversationId' });
      if (!db.objectStoreNames.contains('positions')) db.createObjectStore('positions', { keyPath: 'conversationId' });
      if (!db.objectStoreNames.contains('messages')) db.createObjectStore('messages', { keyPath: ['conversationId', 'seq'] });
      if (!db.objectStoreNames.contains('outbox')) db.createObjectStore('outbox', { keyPath: 'clientMsgId' });
    };
    return new IndexedDbStore(await done(request));
  }

  close(): void {
    this.db.close();
  }

  private async write(name: StoreName, action: (store: IDBObjectStore) => void): Promise<void> {
    const tx = this.db.transaction(name, 'readwrite');
    action(tx.objectStore(name));
    await committed(tx);
  }

  private read<T>(name: StoreName, action: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> {
    return done(action(this.db.transaction(name, 'readonly').objectStore(name)));
  }

  async loadSession(): Promise<SavedSession | undefined> {
    return (await this.read('kv', (s) => s.get('session') as IDBRequest<SavedSession | undefined>)) ?? undefined;
  }

  saveSession(session: SavedSession | undefined): Promise<void> {
    return this.write('kv', (s) => (session === undefined ? s.delete('session') : s.put(session, 'session')));
  }

  loadConversations(): Promise<StoredConversation[]> {
    return this.read('conversations', (s) => s.getAll() as IDBRequest<StoredConversation[]>);
  }

  putConversation(conversation: StoredConversation): Promise<void> {
    return this.write('conversations', (s) => s.put(conversation));
  }

  async loadPositions(): Promise<Map<number, number>> {
    const rows = await this.read('positions', (s) => s.getAll() as IDBRequest<{ conversationId: number; seq: number }[]>);
    return new Map(rows.map((r) => [r.conversationId, r.seq]));
  }

  putPosition(conversationId: number, seq: number): Promise<void> {
    return this.write('positions', (s) => s.put({ conversationId, seq }));
  }

  putMessages(messages: ChatMessage[]): Promise<void> {
    return this.write('messages', (s) => {
      for (const m of messages) s.put(m);
    });
  }

  loadMessages(conversationId: number, beforeSeq: number | undefined, limit: number): Promise<ChatMessage[]> {
    const range = IDBKeyRange.bound([conversationId, 0], [conversationId, beforeSeq ?? Number.MAX_SAFE_INTEGER], false, true);
    const out: ChatMessage[] = [];
    return new Promise((resolve, reject) => {
      const request = this.db.transaction('messages', 'readonly').objectStore('messages').openCursor(range, 'prev');
      request.onerror = () => reject(request.error ?? new Error('IndexedDB cursor failed'));
      request.onsuccess = () => {
        const cursor = request.result;
        if (cursor && out.length < limit) {
          out.push(cursor.value as ChatMessage);
          cursor.continue();
        } else {
          resolve(out.reverse());
        }
      };
    });
  }

  loadOutbox(): Promise<OutboxEntry[]> {
    return this.read('outbox', (s) => s.getAll() as IDBRequest<OutboxEntry[]>);
  }

  putOutbox(entry: OutboxEntry): Promise<void> {
    return this.write('outbox', (s) => s.put(entry));
  }

  deleteOutbox(clientMsgId: string): Promise<void> {
    return this.write('outbox', (s) => s.delete(clientMsgId));
  }

  async clear(): Promise<void> {
    const tx = this.db.transaction([...STORES], 'readwrite');
    for (const name of STORES) tx.objectStore(name).clear();
    await committed(tx);
  }
}
