import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  FileClientMessageSchemas,
  FileMessageBodySchema,
  FileServerMessageSchemas,
  FRAME_HEADER_BYTES,
  MsgId,
  ProtocolError,
  decodeFileClientMessage,
  decodeFileServerMessage,
  encodeChunkFrame,
  encodeFileClientMessage,
  fileRef,
  isImageMime,
  parseFileRef,
} from '../src/index';
import type { FileClientFrameId, FileClientMessageOf, FileServerFrameId, FileServerMessageOf, Frame } from '../src/index';

const sha = 'ab'.repeat(32);

function frameOf(id: number, body: unknown): Frame {
  if (id === MsgId.UploadChunk || id === MsgId.DownloadChunk) {
    const bytes = encodeChunkFrame(id, body as object, Buffer.from('data'));
    return { id, body: bytes.subarray(FRAME_HEADER_BYTES) };
  }
  return { id, body: Buffer.from(JSON.stringify(body), 'utf8') };
}

const validClient: { [I in FileClientFrameId]: FileClientMessageOf<I> } = {
  [MsgId.Ping]: {},
  [MsgId.LoginReq]: { reqId: 1, uid: 7, token: 'tok' },
  [MsgId.UploadInitReq]: { reqId: 2, name: 'Ferien 🌴.jpg', size: 2 ** 31, sha256: sha, mime: 'image/jpeg', conversationId: 9 },
  [MsgId.UploadChunk]: { fileId: 3, offset: 262144 },
  [MsgId.UploadStatusReq]: { reqId: 3, fileId: 3 },
  [MsgId.DownloadReq]: { reqId: 4, fileId: 3, offset: 10 },
  [MsgId.DownloadCancel]: { fileId: 3 },
};

const validServer: { [I in FileServerFrameId]: FileServerMessageOf<I> } = {
  [MsgId.Error]: { code: 'WRONG_OFFSET', message: 'no', details: { fileId: 3, expected: 5 } },
  [MsgId.Pong]: { serverTime: 5 },
  [MsgId.LoginResp]: { reqId: 1, uid: 7, serverId: 'file1', serverTime: 5, heartbeatSec: 20 },
  [MsgId.Reconnect]: { reason: 'server_shutdown' },
  [MsgId.UploadInitResp]: { reqId: 2, fileId: 3, offset: 0, size: 10, complete: false, chunkBytes: 262144 },
  [MsgId.UploadChunkAck]: { fileId: 3, offset: 262144 },
  [MsgId.UploadStatusResp]: { reqId: 3, fileId: 3, offset: 0, size: 10, complete: false },
  [MsgId.UploadDone]: { fileId: 3, size: 10, sha256: sha },
  [MsgId.DownloadResp]: { reqId: 4, fileId: 3, name: 'a', mime: 'image/png', size: 10, sha256: sha, offset: 0 },
  [MsgId.DownloadChunk]: { fileId: 3, offset: 0 },
};

describe('file messages', () => {
  it('every file client and server id has a fixture', () => {
    assert.deepEqual(Object.keys(validClient).sort(), Object.keys(FileClientMessageSchemas).sort());
    assert.deepEqual(Object.keys(validServer).sort(), Object.keys(FileServerMessageSchemas).sort());
  });

  for (const [id, msg] of Object.entries(validClient)) {
    it(`client ${id} round-trips`, () => assert.deepEqual(decodeFileClientMessage(frameOf(Number(id), msg)).msg, msg));
  }
  for (const [id, msg] of Object.entries(validServer)) {
    it(`server ${id} round-trips`, () => assert.deepEqual(decodeFileServerMessage(frameOf(Number(id), msg)).msg, msg));
  }

  it('lower-cases the mime type and defaults a download offset to 0', () => {
    const init = decodeFileClientMessage(frameOf(MsgId.UploadInitReq, { ...validClient[MsgId.UploadInitReq], mime: 'Image/PNG' }));
    assert.equal(init.id === MsgId.UploadInitReq && init.msg.mime, 'image/png');
    const dl = decodeFileClientMessage(frameOf(MsgId.DownloadReq, { reqId: 1, fileId: 2 }));
    assert.equal(dl.id === MsgId.DownloadReq && dl.msg.offset, 0);
  });

  const init = validClient[MsgId.UploadInitReq];
  const invalid: [string, number, object, string][] = [
    ['upper-case sha256', MsgId.UploadInitReq, { ...init, sha256: sha.toUpperCase() }, 'sha256'],
    ['short sha256', MsgId.UploadInitReq, { ...init, sha256: 'ab' }, 'sha256'],
    ['negative size', MsgId.UploadInitReq, { ...init, size: -1 }, 'size'],
    ['fractional size', MsgId.UploadInitReq, { ...init, size: 1.5 }, 'size'],
    ['size beyond safe integers', MsgId.UploadInitReq, { ...init, size: 2 ** 53 }, 'size'],
    ['empty name', MsgId.UploadInitReq, { ...init, name: '' }, 'name'],
    ['name with a newline', MsgId.UploadInitReq, { ...init, name: 'a\nb' }, 'name'],
    ['name of 256 characters', MsgId.UploadInitReq, { ...init, name: 'n'.repeat(256) }, 'name'],
    ['mime without subtype', MsgId.UploadInitReq, { ...init, mime: 'image' }, 'mime'],
    ['mime with a space', MsgId.UploadInitReq, { ...init, mime: 'text/plain; charset=utf-8' }, 'mime'],
    ['chunk at a negative offset', MsgId.UploadChunk, { fileId: 1, offset: -1 }, 'offset'],
    ['chunk for fileId 0', MsgId.UploadChunk, { fileId: 0, offset: 0 }, 'fileId'],
    ['download at a fractional offset', MsgId.DownloadReq, { reqId: 1, fileId: 1, offset: 0.5 }, 'offset'],
  ];
  for (const [name, id, body, path] of invalid) {
    it(`${name} → VALIDATION_FAILED at ${path}`, () => {
      assert.throws(
        () => decodeFileClientMessage(frameOf(id, body)),
        (err: unknown) => err instanceof ProtocolError && err.code === 'VALIDATION_FAILED' && JSON.stringify(err.details).includes(`"path":"${path}"`),
      );
    });
  }

  it('encodes JSON file messages typed', () => {
    const bytes = encodeFileClientMessage(MsgId.UploadStatusReq, { reqId: 9, fileId: 4 });
    assert.deepEqual(decodeFileClientMessage({ id: bytes.readUInt16BE(0), body: bytes.subarray(FRAME_HEADER_BYTES) }).msg, { reqId: 9, fileId: 4 });
  });
});

describe('file message bodies and file references', () => {
  it('parses the body of a file or image message', () => {
    const body = { fileId: 3, name: 'cat.png', size: 10, sha256: sha, mime: 'image/png' };
    assert.deepEqual(FileMessageBodySchema.parse(body), body);
    assert.equal(FileMessageBodySchema.safeParse({ ...body, fileId: '3' }).success, false);
    assert.equal(isImageMime('image/png'), true);
    assert.equal(isImageMime('application/pdf'), false);
  });

  it('round-trips file:<id> and refuses anything else', () => {
    assert.equal(fileRef(42), 'file:42');
    assert.equal(parseFileRef('file:42'), 42);
    for (const other of ['', 'https://x/y.png', 'file:0', 'file:-1', 'file:01', 'file:1x', 'FILE:1', 'file:99999999999999999']) {
      assert.equal(parseFileRef(other), undefined, other);
    }
  });
});
