import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StateCache } from '../src/preload/state-cache';

const convs = (unread: number) => [{ conversationId: 1, kind: 'direct' as const, title: 'Bob', avatar: '', lastActivityMs: 1, unread }];

describe('preload state cache', () => {
  it('a snapshot older than an event already held does not overwrite it', () => {
    const cache = new StateCache();
    assert.equal(cache.applyEvent('conversations', 7, convs(3)), true);
    const changed = cache.applySnapshot({ seq: 5, state: { conversations: convs(1), contacts: [] } });
    assert.deepEqual(changed, ['contacts']);
    assert.deepEqual(cache.get('conversations'), convs(3));
  });

  it('a snapshot newer than what is held replaces it, and an older event after it is dropped', () => {
    const cache = new StateCache();
    cache.applyEvent('conversations', 2, convs(1));
    assert.deepEqual(cache.applySnapshot({ seq: 4, state: { conversations: convs(2) } }), ['conversations']);
    assert.deepEqual(cache.get('conversations'), convs(2));
    assert.equal(cache.applyEvent('conversations', 3, convs(9)), false);
    assert.deepEqual(cache.get('conversations'), convs(2));
    assert.equal(cache.applyEvent('conversations', 5, convs(4)), true);
    assert.deepEqual(cache.get('conversations'), convs(4));
  });

  it('keeps "me: undefined" (signed out) apart from "me not known yet"', () => {
    const cache = new StateCache();
    assert.equal(cache.has('me'), false);
    cache.applySnapshot({ seq: 0, state: { me: undefined } });
    assert.equal(cache.has('me'), true);
    assert.equal(cache.get('me'), undefined);
  });
});
