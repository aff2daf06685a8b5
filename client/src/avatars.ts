/**
 * Avatar images by their `avatar` string (`file:<fileId>`, docs/protocol.md "Avatars"): downloaded once
 * by file id (avatars are public) and kept for the session; one fetch per id even when many views ask.
 * A failed fetch is forgotten so a later call tries again.
 */
export interface AvatarImage {
  bytes: Uint8Array;
  mime: string;
}

/** Avatars are small images; anything larger is not shown (and not held). */
export const MAX_AVATAR_BYTES = 5 * 1024 * 1024;
const MAX_CACHED = 500;

export class AvatarCache {
  private readonly images = new Map<string, Promise<AvatarImage | undefined>>();

  constructor(private readonly fetch: (fileId: string) => Promise<AvatarImage>) {}

  image(avatar: string): Promise<AvatarImage | undefined> {
    const match = /^file:([1-9]\d{0,15})$/.exec(avatar);
    if (!match) return Promise.resolve(undefined);
    const fileId = match[1]!;
    let image = this.images.get(fileId);
    if (!image) {
      if (this.images.size >= MAX_CACHED) this.images.delete(this.images.keys().next().value!);
      image = this.fetch(fileId).then(
        (got) => (got.mime.startsWith('image/') ? got : undefined),
        (err: unknown) => {
          this.images.delete(fileId);
          throw err;
        },
      );
      this.images.set(fileId, image);
    }
    return image;
  }

  clear(): void {
    this.images.clear();
  }
}
