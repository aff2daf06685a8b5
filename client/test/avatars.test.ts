import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AvatarCache, type AvatarImage } from '../src/avatars';

test('one fetch per file id however many ask; strings that name no file and non-images give undefined', async () => {
  const asked: string[] = [];
  const cache = new AvatarCache(async (fileId) => {
    asked.push(fileId);
    return { bytes: new Uint8Array([1]), mime: fileId === '9' ? 'text/plain' : 'image/png' };
  });
  const [a, b] = await Promise.all([cache.image('file:7'), cache.image('file:7')]);
  assert.equal(a, b);
  assert.equal(a?.mime, 'image/png');
  assert.equal(await cache.image(''), undefined);
  assert.equal(await cache.image('https://example.com/x.png'), undefined);
  assert.equal(await cache.image('file:0'), undefined);
  assert.equal(await cache.image('file:7x'), undefined);
  assert.equal(await cache.image('file:9'), undefined);
  assert.deepEqual(asked, ['7', '9']);
});

test('a failed fetch is not remembered: the next call tries again', async () => {
  let calls = 0;
  const cache = new AvatarCache(async (): Promise<AvatarImage> => {
    calls++;
    if (calls === 1) throw Object.assign(new Error('offline'), { code: 'OFFLINE' });
    return { bytes: new Uint8Array([2]), mime: 'image/jpeg' };
  });
  await assert.rejects(cache.image('file:5'), { code: 'OFFLINE' });
  assert.equal((await cache.image('file:5'))?.mime, 'image/jpeg');
  assert.equal(calls, 2);
});
