/** A browser File as the core's UploadSource: chunks are read lazily, never the whole file at once. */
import type { UploadSource } from '@parley/client';

export function uploadSourceOf(file: File): UploadSource {
  return {
    name: file.name,
    mime: file.type || 'application/octet-stream',
    size: file.size,
    read: async (offset, length) => new Uint8Array(await file.slice(offset, offset + length).arrayBuffer()),
  };
}
