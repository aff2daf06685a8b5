import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UPLOAD_READ_CHANNEL } from '../src/shared/channels';
import { MAX_UPLOAD_READ_BYTES } from '../src/main/arg-schemas';
import { createUploadBridge } from '../src/main/upload-bridge';
import type { WebContentsLike } from '../src/main/ipc-types';
import type { UploadReadRequest } from '../src/shared/wire';

function page(id: number) {
  const requests: UploadReadRequest[] = [];
  const contents: WebContentsLike & { destroyed: boolean } = {
    id,
    destroyed: false,
    send(channel, payload) {
      assert.equal(channel, UPLOAD_READ_CHANNEL);
      requests.push(payload as UploadReadRequest);
    },
    isDestroyed: () => contents.destroyed,
  };
  return { contents, requests };
}

function manualClock() {
  const timers = new Map<number, () => void>();
  let next = 1;
  return {
    setTimer: (fn: () => void) => (timers.set(next, fn), next++),
    clearTimer: (h: unknown) => void timers.delete(h as number),
    fireAll: () => {
      for (const [h, fn] of [...timers]) {
        timers.delete(h);
        fn();
      }
    },
    pending: () => timers.size,
  };
}

const META = { uploadId: 'u1', name: 'a.bin', mime: 'application/octet-stream', size: 10 };

describe('upload bridge', () => {
  it('asks the page for exactly the bytes still in the file, and resolves with its answer', async () => {
    const bridge = createUploadBridge();
    const { contents, requests } = page(1);
    const read = bridge.source(META, contents).read(6, 100);
    assert.deepEqual(requests, [{ uploadId: 'u1', requestId: 1, offset: 6, length: 4 }]);
    bridge.answer(1, 1, new Uint8Array([1, 2, 3, 4]));
    assert.deepEqual(await read, new Uint8Array([1, 2, 3, 4]));
    assert.deepEqual(await bridge.source(META, contents).read(10, 5), new Uint8Array(0));
    assert.equal(requests.length, 1, 'a read at the end asks nothing');
  });

  it('caps one read at MAX_UPLOAD_READ_BYTES and refuses reads outside the file', async () => {
    const bridge = createUploadBridge();
    const { contents, requests } = page(1);
    const big = bridge.source({ ...META, size: 10 * MAX_UPLOAD_READ_BYTES }, contents).read(0, 10 * MAX_UPLOAD_READ_BYTES);
    assert.equal(requests[0]?.length, MAX_UPLOAD_READ_BYTES);
    bridge.dropSender(1);
    await assert.rejects(big, { code: 'UPLOAD_SOURCE_GONE' });
    await assert.rejects(bridge.source(META, contents).read(11, 1), RangeError);
    await assert.rejects(bridge.source(META, contents).read(-1, 1), RangeError);
  });

  it('an answer from another page, or for a read nobody asked for, is refused and the read keeps waiting', async () => {
    const clock = manualClock();
    const bridge = createUploadBridge({ setTimer: clock.setTimer, clearTimer: clock.clearTimer });
    const { contents } = page(1);
    const read = bridge.source(META, contents).read(0, 10);
    assert.throws(() => bridge.answer(2, 1, new Uint8Array(10)), { code: 'UPLOAD_BAD_DATA' });
    assert.throws(() => bridge.answer(1, 99, new Uint8Array(10)), { code: 'UPLOAD_BAD_DATA' });
    assert.equal(bridge.pendingReads(), 1);
    bridge.answer(1, 1, new Uint8Array(10).fill(7));
    assert.deepEqual(await read, new Uint8Array(10).fill(7));
    assert.equal(clock.pending(), 0, 'the timeout is cleared');
  });

  it('the wrong number of bytes fails the read with UPLOAD_BAD_DATA', async () => {
    const bridge = createUploadBridge();
    const { contents } = page(1);
    const read = bridge.source(META, contents).read(0, 10);
    assert.throws(() => bridge.answer(1, 1, new Uint8Array(11)), { code: 'UPLOAD_BAD_DATA' });
    await assert.rejects(read, { code: 'UPLOAD_BAD_DATA' });
  });

  it('a page that does not answer in time fails the read with UPLOAD_READ_TIMEOUT', async () => {
    const clock = manualClock();
    const bridge = createUploadBridge({ setTimer: clock.setTimer, clearTimer: clock.clearTimer });
    const read = bridge.source(META, page(1).contents).read(0, 10);
    clock.fireAll();
    await assert.rejects(read, { code: 'UPLOAD_READ_TIMEOUT' });
    assert.equal(bridge.pendingReads(), 0);
  });

  it('bounds the reads in flight (UPLOAD_BUSY) and fails a reloaded page\'s reads (UPLOAD_SOURCE_GONE)', async () => {
    const bridge = createUploadBridge({ maxPendingReads: 2 });
    const { contents } = page(1);
    const source = bridge.source(META, contents);
    const a = source.read(0, 1);
    const b = source.read(1, 1);
    await assert.rejects(source.read(2, 1), { code: 'UPLOAD_BUSY' });
    bridge.dropSender(1);
    await assert.rejects(a, { code: 'UPLOAD_SOURCE_GONE' });
    await assert.rejects(b, { code: 'UPLOAD_SOURCE_GONE' });
    contents.destroyed = true;
    await assert.rejects(source.read(0, 1), { code: 'UPLOAD_SOURCE_GONE' });
  });

  it('the page saying its source is gone fails the read with UPLOAD_SOURCE_GONE', async () => {
    const bridge = createUploadBridge();
    const read = bridge.source(META, page(1).contents).read(0, 10);
    bridge.answer(1, 1, null, 'UPLOAD_SOURCE_GONE');
    await assert.rejects(read, { code: 'UPLOAD_SOURCE_GONE' });
  });
});
