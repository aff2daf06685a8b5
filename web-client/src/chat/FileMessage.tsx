/** An image (downloaded and shown inline from a blob: URL) or a file card with a download and its progress. */
import { useEffect, useState } from 'react';
import type { FileRef, TransferView } from '@parley/client';
import { Icon } from '../common/Icon';
import { useToast } from '../common/toast-context';
import { useApi } from '../lib/api-context';
import { imageUrl, saveBytes } from '../lib/blob-cache';
import { toUiError } from '../lib/errors';
import { bytes } from '../lib/format';
import { TransferBar } from './TransferBar';

/** Follows one transfer's events by id. */
function useTransfer(transferId: string | undefined): TransferView | undefined {
  const api = useApi();
  const [t, setT] = useState<TransferView | undefined>(undefined);
  useEffect(() => {
    if (!transferId) return undefined;
    return api.on('transfer', (v) => v.transferId === transferId && setT(v));
  }, [api, transferId]);
  return t;
}

export function FileMessage({ file, image }: { file: FileRef; image: boolean }) {
  const api = useApi();
  const toast = useToast();
  const [url, setUrl] = useState<string | undefined>(undefined);
  const [failed, setFailed] = useState(false);
  const [transferId, setTransferId] = useState<string | undefined>(undefined);
  const transfer = useTransfer(transferId);

  useEffect(() => {
    if (!image) return undefined;
    let live = true;
    imageUrl(api, file, (id) => live && setTransferId(id))
      .then((u) => live && setUrl(u))
      .catch(() => live && setFailed(true));
    return () => {
      live = false;
    };
  }, [api, file, image]);

  const download = () => {
    api
      .download(file, setTransferId)
      .then((b) => saveBytes(b, file.name, file.mime))
      .catch((err: unknown) => toast(toUiError(err)));
  };

  if (image && url) return <img className="bubble-img" src={url} alt={file.name} loading="lazy" />;
  return (
    <div className="bubble file-card">
      <span className="file-icon">
        <Icon name={image ? 'image' : 'file'} size={30} />
      </span>
      <span className="file-meta">
        <span className="file-name">{file.name}</span>
        <span className="file-size">{bytes(file.size)}</span>
        {transfer && transfer.state !== 'done' && <TransferBar transfer={transfer} compact />}
      </span>
      {(!image || failed) && (
        <button type="button" className="secondary small" onClick={download} aria-label={`Download ${file.name}`}>
          <Icon name="download" size={18} />
        </button>
      )}
    </div>
  );
}
