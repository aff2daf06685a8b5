/**
 * An `avatar` string (`file:<fileId>`) as a blob: URL, from the core's avatarImage (which downloads and
 * caches the bytes). The URLs are kept for the page's life: avatars are few and small, and every
 * view of the same person shares one.
 */
import { useContext, useEffect, useState } from 'react';
import type { ParleyApi } from '@parley/client';
import { ApiContext } from './api-context';

const urls = new Map<string, Promise<string | undefined>>();

function avatarUrl(api: ParleyApi, avatar: string): Promise<string | undefined> {
  let url = urls.get(avatar);
  if (!url) {
    url = api.avatarImage(avatar).then((img) => (img ? URL.createObjectURL(new Blob([img.bytes as BlobPart], { type: img.mime })) : undefined));
    // A failure (offline, say) is not remembered: the next render asks again.
    url.catch(() => urls.delete(avatar));
    urls.set(avatar, url);
  }
  return url;
}

/** The avatar's URL once loaded; undefined for none, while loading, or when it cannot be had (the initial shows). */
export function useAvatarUrl(avatar: string | undefined): string | undefined {
  const api = useContext(ApiContext);
  const [url, setUrl] = useState<string | undefined>(undefined);
  useEffect(() => {
    setUrl(undefined);
    if (!api || !avatar?.startsWith('file:')) return undefined;
    let live = true;
    avatarUrl(api, avatar)
      .then((u) => live && setUrl(u))
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [api, avatar]);
  return url;
}
