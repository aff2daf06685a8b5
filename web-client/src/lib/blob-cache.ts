/**
 * Downloaded images as blob: URLs, shared by every bubble showing the same file. Bounded: beyond
 * MAX_ENTRIES the least recently used URL is revoked, so scrolling a long history does not hold every image.
 */
import type { FileRef, ParleyApi } from '@parley/client';

const MAX_ENTRIES = 64;
const urls = new Map<string, Promise<string>>();

export function imageUrl(api: ParleyApi, file: FileRef, onTransfer?: (id: string) => void): Promise<string> {
  const hit = urls.get(file.fileId);
  if (hit) {
    urls.delete(file.fileId);
    urls.set(file.fileId, hit);
    return hit;
  }
  const url = api.download(file, onTransfer).then((bytes) => URL.createObjectURL(new Blob([bytes as BlobPart], { type: file.mime })));
  url.catch(() => urls.delete(file.fileId));
  urls.set(file.fileId, url);
  while (urls.size > MAX_ENTRIES) {
    const [oldest, p] = urls.entries().next().value as [string, Promise<string>];
    urls.delete(oldest);
    void p.then((u) => URL.revokeObjectURL(u)).catch(() => undefined);
  }
  return url;
}

/** Saves bytes as a file through a temporary link (the browser's download). */
export function saveBytes(bytes: Uint8Array, name: string, mime: string): void {
  const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type: mime }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
