import { isParleyError, type Logger } from '@parley/common';
import { isProtocolError, MsgId, type ErrorBody, type FileClientMessage } from '@parley/protocol';
import type { DownloadService } from '../download/download-service';
import type { UploadService } from '../upload/upload-service';
import type { FileConnection } from './file-connection';

export interface DispatcherDeps {
  uploads: UploadService;
  downloads: DownloadService;
  logger: Logger;
}

/**
 * Routes the messages of logged-in file connections. A request is answered with its response or
 * an Error carrying its reqId; a chunk's refusal is an Error with `details.fileId`; an unexpected
 * exception is logged and answered INTERNAL. None of it reaches the connection's decoder.
 */
export class FileDispatcher {
  constructor(private readonly deps: DispatcherDeps) {}

  readonly dispatch = (conn: FileConnection, message: FileClientMessage): void => {
    const { uploads, downloads } = this.deps;
    switch (message.id) {
      case MsgId.Ping:
        conn.send(MsgId.Pong, { serverTime: Date.now() });
        return;
      case MsgId.LoginReq:
        conn.sendError({ reqId: message.msg.reqId, code: 'ALREADY_LOGGED_IN', message: 'This connection is already logged in' });
        return;
      case MsgId.UploadChunk: {
        const parts = message.parts ?? [message.data];
        try {
          uploads.chunk(conn, message.msg, parts);
        } catch (err) {
          // Refused: the upload kept no reference to the data.
          for (const part of parts) conn.recycle(part);
          conn.sendError(this.errorBody(conn, err, undefined, { fileId: message.msg.fileId }));
        }
        return;
      }
      case MsgId.UploadInitReq: {
        const { reqId } = message.msg;
        this.answer(conn, reqId, uploads.init(conn, message.msg), (body) => conn.send(MsgId.UploadInitResp, { ...body, reqId }));
        return;
      }
      case MsgId.UploadStatusReq: {
        const { reqId } = message.msg;
        this.answer(conn, reqId, uploads.status(conn, message.msg.fileId), (body) => conn.send(MsgId.UploadStatusResp, { ...body, reqId }));
        return;
      }
      case MsgId.DownloadReq: {
        const { reqId } = message.msg;
        this.answer(conn, reqId, downloads.start(conn, message.msg), ({ resp, stream }) => {
          conn.send(MsgId.DownloadResp, { ...resp, reqId });
          void stream.run();
        });
        return;
      }
      case MsgId.DownloadCancel:
        downloads.cancel(conn, message.msg.fileId);
        return;
    }
  };

  private answer<T>(conn: FileConnection, reqId: number, work: Promise<T>, respond: (result: T) => void): void {
    work.then(respond, (err: unknown) => conn.sendError(this.errorBody(conn, err, reqId))).catch((err: unknown) => {
      conn.logger.error({ err }, 'response could not be sent');
      conn.sendError({ reqId, code: 'INTERNAL', message: 'Internal server error' });
    });
  }

  private errorBody(conn: FileConnection, err: unknown, reqId: number | undefined, details?: object): ErrorBody {
    const body: ErrorBody = { code: 'INTERNAL', message: 'Internal server error' };
    if (reqId !== undefined) body.reqId = reqId;
    if (isParleyError(err) || isProtocolError(err)) {
      body.code = err.code;
      body.message = err.message;
      if (err.details !== undefined) body.details = err.details;
      else if (details !== undefined) body.details = details;
    }
    if (body.code === 'INTERNAL') {
      conn.logger.error({ err }, 'file request failed');
      if (details !== undefined) body.details = details;
    }
    return body;
  }
}
